"""SciCat v3 API: entities (being written)."""

routes = []
