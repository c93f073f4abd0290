"""SciCat v3 API: published (being written)."""

routes = []
