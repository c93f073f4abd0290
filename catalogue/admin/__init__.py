"""The Django admin for every catalogue model, one module per group of models.

Dataset writes go through catalogue.services and the access rules (datasets.py); the big tables
(datasets, files, terms, history) never count all their rows (base.py).
"""

from . import audit, datablocks, datasets, entities, history
from .harvest import HarvestRunAdmin  # noqa: F401  (registers the harvest admins)
from .publishing import PublishedDataAdmin  # noqa: F401  (registers the published data admin)
from .tokens import ApiTokenAdmin  # noqa: F401  (registers the ApiToken admin)

__all__ = ["audit", "datablocks", "datasets", "entities", "history"]
