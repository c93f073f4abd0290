"""Browser pages (namespace "portal"). Routes with a suffix after a pid come before the bare
`datasets/<pid>`, because pids contain slashes."""

from django.urls import path

from portal.auth import views as signin
from portal.downloads import views as downloads
from portal.pages import (
    access_requests,
    account,
    datasets,
    entities,
    mydata,
    policies,
    search,
    search_help,
    sitemaps,
)

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
    path("datasets/<path:pid>/edit", mydata.dataset_edit, name="dataset-edit"),
    path("datasets/<path:pid>/share", mydata.dataset_share, name="dataset-share"),
    path("datasets/<path:pid>/history", mydata.dataset_history_page, name="dataset-history"),
    path(
        "datasets/<path:pid>/request-access",
        access_requests.request_access,
        name="dataset-request-access",
    ),
    path(
        "datasets/<path:pid>/embargo/release",
        policies.embargo_release_view,
        name="dataset-embargo-release",
    ),
    path("datasets/<path:pid>/embargo", policies.embargo_change_view, name="dataset-embargo"),
    path(
        "datasets/<path:pid>/conditions",
        policies.usage_conditions_view,
        name="dataset-conditions",
    ),
    path("datasets/<path:pid>", datasets.dataset_page, name="dataset"),
    path("access-requests/", access_requests.requests_inbox, name="access-requests"),
    path("access-requests/mine", access_requests.requests_mine, name="access-requests-mine"),
    path(
        "access-requests/<int:request_id>/<str:decision>",
        access_requests.request_decide,
        name="access-request-decide",
    ),
    path("sitemap.xml", sitemaps.index, name="sitemap"),
    path("sitemap-<section>.xml", sitemaps.section, name="sitemap-section"),
    path("proposals/<path:proposal_id>", entities.proposal_page, name="proposal"),
    path("samples/<path:sample_id>", entities.sample_page, name="sample"),
    path("instruments/<path:pid>", entities.instrument_page, name="instrument"),
    path("login", signin.login_page, name="login"),
    path("logout", signin.logout_page, name="logout"),
    path("oidc/authenticate/", signin.OIDCLoginStart.as_view(), name="oidc-login"),
    path("oidc/callback/", signin.OIDCLoginCallback.as_view(), name="oidc-callback"),
    path("account", account.account_page, name="account"),
    path("account/tokens", account.token_create, name="token-create"),
    path("account/tokens/<int:token_id>/revoke", account.token_revoke, name="token-revoke"),
    path("mydata", mydata.mydata_page, name="mydata"),
]
