"""SciCat v3 API: users (being written)."""

routes = []
