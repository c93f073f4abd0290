"""SciCat v3 API: /Datasets (scicat-api.md §2.3-§2.7).

Modules: `views` (collection endpoints), `item_views` (one dataset by pid), `input` (v3 bodies),
`output` (the v3 shape), `reads` (list/count/findOne reads), `relations` (`include`), `query` and
`scientific` (fullquery `fields`), `facets` (fullfacet and metadataKeys), `jsonpaths` (typed
comparisons inside JSON columns).

Fixed names (`Datasets/count`) come before pids; the catch-all `Datasets/<pid>` leaves alone the
sub-resources other modules serve (origdatablocks, datablocks, attachments, logbook), so it
cannot swallow them whatever order the route lists are joined in.
"""

from catalogue.api.routing import PID, api_path

from .item_views import (
    AppendToArrayFieldView,
    DatasetView,
    LifecycleView,
    ThumbnailView,
)
from .views import (
    CountView,
    DatasetsView,
    FindOneView,
    FullfacetView,
    FullqueryView,
    IsValidView,
    MetadataKeysView,
)

OTHER_SUBRESOURCES = "origdatablocks|datablocks|attachments|logbook"
# Any pid (slashes included) that does not continue into another module's sub-resource; lazy,
# so a trailing slash is not taken as part of the pid.
DATASET_PID = rf"(?P<pid>(?:(?!/(?:{OTHER_SUBRESOURCES})(?:/|$)).)+?)"

routes = [
    api_path("datasets", DatasetsView.as_view(), name="api-datasets"),
    api_path("datasets/isvalid", IsValidView.as_view(), name="api-datasets-isvalid"),
    api_path("datasets/count", CountView.as_view(), name="api-datasets-count"),
    api_path("datasets/findone", FindOneView.as_view(), name="api-datasets-findone"),
    api_path("datasets/fullquery", FullqueryView.as_view(), name="api-datasets-fullquery"),
    api_path("datasets/fullfacet", FullfacetView.as_view(), name="api-datasets-fullfacet"),
    api_path("datasets/metadatakeys", MetadataKeysView.as_view(), name="api-datasets-keys"),
    api_path(f"datasets/{PID}/datasetlifecycle", LifecycleView.as_view()),
    api_path(f"datasets/{PID}/appendtoarrayfield", AppendToArrayFieldView.as_view()),
    api_path(f"datasets/{PID}/thumbnail", ThumbnailView.as_view()),
    api_path(f"datasets/{DATASET_PID}", DatasetView.as_view(), name="api-dataset"),
]
