"""SciCat v3 API: datasets (being written)."""

routes = []
