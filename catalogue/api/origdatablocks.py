"""SciCat v3 API: origdatablocks (being written)."""

routes = []
