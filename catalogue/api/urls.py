"""The SciCat v3 REST API under /api/v3/. Each resource module lists its own routes.

Order matters: routes with a suffix after a pid (…/origdatablocks) and fixed names
(Datasets/count) come before the catch-all `Datasets/<pid>`.
"""

from . import datasets, entities, origdatablocks, published, users

urlpatterns = [
    *users.routes,
    *origdatablocks.routes,
    *datasets.routes,
    *entities.routes,
    *published.routes,
]
