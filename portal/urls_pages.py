"""Browser pages (namespace "portal"). Routes with a suffix after a pid come before the bare
`datasets/<pid>`, because pids contain slashes."""

from django.urls import path

from portal.downloads import views as downloads
from portal.pages import datasets, entities, search, search_help

app_name = "portal"

urlpatterns = [
    path("", search.search_page, name="search"),
    path("search", search.search_page, name="search-alias"),
    path("help/search", search_help.search_help, name="search-help"),
    path("datasets/<path:pid>/cite.bib", datasets.dataset_bibtex, name="dataset-bibtex"),
    path("datasets/<path:pid>/cite.ris", datasets.dataset_ris, name="dataset-ris"),
    path("datasets/<path:pid>/files/<int:file_id>", downloads.file_download, name="dataset-file"),
    path("datasets/<path:pid>/download.zip", downloads.zip_download, name="dataset-zip"),
    path("datasets/<path:pid>/licence", downloads.licence_page, name="dataset-licence"),
    path("datasets/<path:pid>", datasets.dataset_page, name="dataset"),
    path("proposals/<path:proposal_id>", entities.proposal_page, name="proposal"),
    path("samples/<path:sample_id>", entities.sample_page, name="sample"),
    path("instruments/<path:pid>", entities.instrument_page, name="instrument"),
]
