"""Every read path of the catalogue as a probe: which states' datasets (or files) it reveals
to a persona. A probe returns the set of states it showed; tests/policies/test_leaks.py
compares that with what the permission semantics allow.

`level`: "read" probes reveal a record (title, metadata, that it exists); "download" probes
reveal files (lists, bytes, thumbnails); "update" probes are pages for those who may change the
dataset (its history names who shared what). `exact`: the path must show everything allowed too
(else it may show less: fullquery's documented narrower scope, pages that need a sign-in).
`public`: the path always answers as an anonymous visitor would (landing pages, OAI-PMH,
sitemap, exports), whoever asks. `closed`: states the path never shows (a withdrawn DOI).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from .leak_world import INSTRUMENT, PROPOSAL, STATES, World, thumbnail

API = "/api/v3"


@dataclass(frozen=True)
class Probe:
    name: str
    level: str  # "read", "download" or "update"
    run: Callable  # (Ask) -> set[str]
    exact: bool = True
    public: bool = False
    closed: frozenset[str] = frozenset()
    needs: str = ""  # a path that must exist, else the probe is skipped (paths being built)
    guard_only: bool = False  # shows no dataset in this world; only checked for leaks
    witness: str = "admin"  # a persona the path must show something to (the probe works)


class Ask:
    """One persona's view: a test client with their session and, for APIs, their token."""

    def __init__(self, client, world: World, persona: str):
        self.client, self.world, self.persona = client, world, persona
        token = world.tokens[persona]
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def get(self, path: str, params: dict | None = None, *, api: bool = False):
        query = "?" + urlencode(params) if params else ""
        return self.client.get(path + query, **(self.auth if api else {}))

    def json(self, path: str, params=None):
        response = self.get(path, params, api=True)
        text = self.text(response) if response.status_code == 200 else ""
        return json.loads(text) if text.strip() else None  # findOne answers an empty body

    def text(self, response) -> str:
        if response.status_code not in (200, 410):
            return ""
        if hasattr(response, "streaming_content"):
            return b"".join(response.streaming_content).decode(errors="replace")
        return response.content.decode(errors="replace")

    def each(self, answer: Callable[[str], bool]) -> set[str]:
        return {state for state in STATES if answer(state)}

    def pid(self, state: str) -> str:
        return self.world.datasets[state].pid

    def quoted(self, state: str) -> str:
        return quote(self.pid(state), safe="")


def _pids(items) -> set[str]:
    return {
        item.get("pid") or item.get("_id") or "" for item in items or [] if isinstance(item, dict)
    }


def _jp(value) -> str:
    return json.dumps(value)


# --- SciCat API ------------------------------------------------------------------------------


def api_list(ask):
    return ask.world.states_of(_pids(ask.json(f"{API}/datasets", {"filter": _jp({"limit": 100})})))


def api_get(ask):
    return ask.each(
        lambda s: ask.get(f"{API}/datasets/{ask.quoted(s)}", api=True).status_code == 200
    )


def api_count(ask):
    def counted(state):
        where = {"datasetName": f"Leakcheck {state} scan"}
        body = ask.json(f"{API}/datasets/count", {"filter": _jp({"where": where})}) or {}
        return body.get("count") == 1

    return ask.each(counted)


def api_find_one(ask):
    def found(state):
        body = ask.json(
            f"{API}/datasets/findOne", {"filter": _jp({"where": {"pid": ask.pid(state)}})}
        )
        return bool(body)

    return ask.each(found)


def api_fullquery(ask, fields=None):
    params = {"fields": _jp(fields or {}), "limits": _jp({"limit": 100})}
    return ask.world.states_of(_pids(ask.json(f"{API}/datasets/fullquery", params)))


def api_fullfacet(ask):
    params = {"fields": _jp({}), "facets": _jp(["keywords"])}
    body = ask.json(f"{API}/datasets/fullfacet", params) or [{}]
    return ask.world.mentioned(json.dumps(body[0].get("keywords", [])))


def api_metadata_keys(ask):
    body = ask.json(
        f"{API}/datasets/metadataKeys", {"fields": _jp({}), "limits": _jp({"limit": 1000})}
    )
    return ask.world.mentioned(json.dumps(body or []))


def api_include_blocks(ask):
    """Datasets listed with their blocks and attachments embedded (download-level)."""
    params = {"filter": _jp({"limit": 100, "include": [{"relation": "all"}]})}
    found = set()
    for item in ask.json(f"{API}/datasets", params) or []:
        embedded = {k: item.get(k) for k in ("origdatablocks", "datablocks", "attachments")}
        if any(embedded.values()):
            found |= ask.world.states_of([item.get("pid", "")])
    return found


def api_nested(kind: str):
    def probe(ask):
        def shown(state):
            response = ask.get(f"{API}/datasets/{ask.quoted(state)}/{kind}", api=True)
            return response.status_code == 200 and bool(ask.world.mentioned(ask.text(response)))

        return ask.each(shown)

    return probe


def api_top_level(kind: str):
    def probe(ask):
        body = ask.json(f"{API}/{kind}", {"filter": _jp({"limit": 100})}) or []
        return ask.world.states_of(item.get("datasetId", "") for item in body)

    return probe


def api_thumbnail(ask):
    def shown(state):
        body = ask.json(f"{API}/datasets/{ask.quoted(state)}/thumbnail") or {}
        return body.get("thumbnail") == thumbnail(state)

    return ask.each(shown)


def api_proposal_datasets(ask):
    return ask.world.states_of(_pids(ask.json(f"{API}/proposals/{PROPOSAL}/datasets")))


def form_populate(part: str):
    def probe(ask):
        def shown(state):
            body = ask.json(f"{API}/publisheddata/formpopulate", {"pid": ask.pid(state)}) or {}
            return bool(body.get(part))

        return ask.each(shown)

    return probe


# --- Search ------------------------------------------------------------------------------------


def search_api(ask):
    body = ask.json("/api/search/", {"q": "leakcheck", "size": 50}) or {}
    return ask.world.states_of(hit.get("pid", "") for hit in body.get("hits", []))


def search_keys(ask):
    return ask.world.mentioned(json.dumps(ask.json("/api/search/keys", {"prefix": "leakkey"})))


def portal_search(ask):
    return ask.world.mentioned(_without_thumbnails(ask, ask.text(ask.get("/", {"q": "leakcheck"}))))


def _without_thumbnails(ask, text: str) -> str:
    for state in STATES:
        text = text.replace(thumbnail(state), "")
    return text


def portal_facets(ask):
    text = ask.text(ask.get("/", {"q": "leakcheck"}))
    return ask.each(lambda s: f"leakkw{s}" in text)


def portal_thumbnails(ask):
    text = ask.text(ask.get("/", {"q": "leakcheck"}))
    return ask.each(lambda s: thumbnail(s) in text)


# --- PaNOSC and federation ---------------------------------------------------------------------


def panosc_list(ask):
    return ask.world.states_of(
        _pids(ask.json("/panosc-api/Datasets", {"filter": _jp({"limit": 100})}))
    )


def panosc_get(ask):
    return ask.each(
        lambda s: ask.get(f"/panosc-api/Datasets/{ask.quoted(s)}", api=True).status_code == 200
    )


def panosc_count(ask):
    def counted(state):
        body = ask.json("/panosc-api/Datasets/count", {"where": _jp({"pid": ask.pid(state)})})
        return (body or {}).get("count") == 1

    return ask.each(counted)


def panosc_files(ask):
    def shown(state):
        body = ask.json(f"/panosc-api/Datasets/{ask.quoted(state)}/files") or []
        return bool(body)

    return ask.each(shown)


def panosc_include_files(ask):
    params = {"filter": _jp({"limit": 100, "include": [{"relation": "files"}]})}
    return {s for item in ask.json("/panosc-api/Datasets", params) or [] if item.get("files")
            for s in ask.world.states_of([item.get("pid", "")])}  # fmt: skip


def panosc_documents(ask):
    include = [{"relation": "datasets", "scope": {"include": [{"relation": "files"}]}}]
    body = ask.json("/panosc-api/Documents", {"filter": _jp({"limit": 100, "include": include})})
    return ask.world.mentioned(json.dumps(body or []))


def federated_list(ask):
    body = ask.json("/panosc-api/federated/Datasets", {"filter": _jp({"limit": 100})}) or []
    return ask.world.mentioned(json.dumps(body))


def federation_search(ask):
    return ask.world.mentioned(json.dumps(ask.json("/api/federation/search", {"q": "leakcheck"})))


# --- Portal pages and downloads -----------------------------------------------------------------


def _page(ask, state: str, suffix: str = ""):
    return ask.get(reverse("portal:dataset", kwargs={"pid": ask.pid(state)}) + suffix)


def dataset_page(ask):
    return ask.each(lambda s: _page(ask, s).status_code == 200)


def dataset_page_files(ask):
    return ask.each(lambda s: f"leakfile-{s}" in ask.text(_page(ask, s)))


def dataset_page_previews(ask):
    return ask.each(lambda s: thumbnail(s) in ask.text(_page(ask, s)))


def citation(ask):
    return ask.each(lambda s: _page(ask, s, "/cite.bib").status_code == 200)


def _downloaded(response) -> bool:
    # Allowed: the bytes, or the licence form first (anonymous visitors accept it per session).
    return response.status_code == 200 or (
        response.status_code == 302 and "/licence" in response["Location"]
    )


def file_download(ask):
    def fetched(state):
        url = reverse(
            "portal:dataset-file", kwargs={"pid": ask.pid(state), "file_id": ask.world.files[state]}
        )
        return _downloaded(ask.get(url))

    return ask.each(fetched)


def zip_download(ask):
    return ask.each(
        lambda s: _downloaded(ask.get(reverse("portal:dataset-zip", kwargs={"pid": ask.pid(s)})))
    )


def licence_page(ask):
    return ask.each(lambda s: _page(ask, s, "/licence").status_code == 200)


def request_access_page(ask):
    def titled(state):
        url = reverse("portal:dataset-request-access", kwargs={"pid": ask.pid(state)})
        return f"Leakcheck {state} scan" in ask.text(ask.get(url))

    return ask.each(titled)


def proposal_page(ask):
    return ask.world.mentioned(ask.text(ask.get(reverse("portal:proposal", args=[PROPOSAL]))))


def instrument_page(ask):
    return ask.world.mentioned(ask.text(ask.get(reverse("portal:instrument", args=[INSTRUMENT]))))


def mydata_page(ask):
    tabs = ("owned", "shared", "groups")
    text = "".join(ask.text(ask.get(reverse("portal:mydata"), {"tab": tab})) for tab in tabs)
    return ask.world.mentioned(text)


def owner_page(name: str):
    """A page for those who may change the dataset (edit, share, history)."""

    def probe(ask):
        return ask.each(lambda s: _page(ask, s, f"/{name}").status_code == 200)

    return probe


def publication_list(ask):
    return ask.world.mentioned(ask.text(ask.get("/publications/")))


def admin_changelist(ask):
    return ask.world.mentioned(ask.text(ask.get("/admin/catalogue/dataset/", {"q": "Leakcheck"})))


# --- Publishing: landing pages, exports, OAI-PMH, sitemap ---------------------------------------


def doi_landing(ask):
    found = set()
    for doi in ask.world.dois.values():
        text = ask.text(ask.get(reverse("doi-landing", kwargs={"doi": doi})))
        found |= ask.world.mentioned(text)
    return found


def dataset_export(ask):
    def exported(state):
        url = reverse(
            "export-dataset", kwargs={"identifier": ask.pid(state), "fmt": "datacite.json"}
        )
        return ask.get(url).status_code == 200

    return ask.each(exported)


def _oai(ask, **params):
    return ask.text(ask.get("/oai", params))


def oai_list_records(ask):
    return ask.world.mentioned(_oai(ask, verb="ListRecords", metadataPrefix="oai_dc"))


def oai_get_record(ask):
    from catalogue.publishing.oai.records import oai_identifier

    found = set()
    for doi in ask.world.dois.values():
        text = _oai(ask, verb="GetRecord", metadataPrefix="oai_dc", identifier=oai_identifier(doi))
        found |= ask.world.mentioned(text)
    return found


def oai_list_identifiers(ask):
    return ask.world.mentioned(_oai(ask, verb="ListIdentifiers", metadataPrefix="oai_dc"))


def sitemap(ask):
    return ask.world.mentioned(ask.text(ask.get("/sitemap-datasets.xml")))


WITHDRAWN = frozenset({"withdrawn"})

PROBES = [
    Probe("api_list", "read", api_list),
    Probe("api_get", "read", api_get),
    Probe("api_count", "read", api_count),
    Probe("api_find_one", "read", api_find_one),
    Probe("api_fullquery", "read", api_fullquery, exact=False),
    Probe(
        "api_fullquery_published",
        "read",
        lambda a: api_fullquery(a, {"isPublished": True}),
        exact=False,
    ),
    Probe("api_fullfacet", "read", api_fullfacet, exact=False),
    Probe("api_metadata_keys", "read", api_metadata_keys, exact=False),
    Probe("api_include_blocks", "download", api_include_blocks),
    Probe("api_origdatablocks", "download", api_nested("origdatablocks")),
    Probe("api_datablocks", "download", api_nested("datablocks")),
    Probe("api_attachments", "download", api_nested("attachments")),
    Probe("api_origdatablocks_top", "download", api_top_level("origdatablocks")),
    Probe("api_datablocks_top", "download", api_top_level("datablocks")),
    Probe("api_thumbnail", "download", api_thumbnail),
    Probe("api_proposal_datasets", "read", api_proposal_datasets),
    Probe("api_form_populate", "read", form_populate("description")),
    Probe("api_form_populate_thumbnail", "download", form_populate("thumbnail")),
    Probe("search_api", "read", search_api),
    Probe("search_keys", "read", search_keys),
    Probe("portal_search", "read", portal_search),
    Probe("portal_facets", "read", portal_facets),
    Probe("portal_thumbnails", "download", portal_thumbnails),
    Probe("panosc_list", "read", panosc_list),
    Probe("panosc_get", "read", panosc_get),
    Probe("panosc_count", "read", panosc_count),
    Probe("panosc_files", "download", panosc_files),
    Probe("panosc_include_files", "download", panosc_include_files),
    Probe("panosc_documents", "read", panosc_documents, exact=False),
    Probe(
        "federated_list",
        "read",
        federated_list,
        exact=False,
        needs="/panosc-api/federated/Datasets",
    ),
    Probe(
        "federation_search", "read", federation_search, exact=False, needs="/api/federation/search"
    ),
    Probe("dataset_page", "read", dataset_page),
    Probe("dataset_page_files", "download", dataset_page_files),
    Probe("dataset_page_previews", "download", dataset_page_previews),
    Probe("citation_export", "read", citation),
    Probe("file_download", "download", file_download),
    Probe("zip_download", "download", zip_download),
    Probe("licence_page", "download", licence_page),
    Probe("request_access_page", "read", request_access_page, exact=False),
    Probe("proposal_page", "read", proposal_page),
    Probe("instrument_page", "read", instrument_page),
    Probe("admin_changelist", "read", admin_changelist, exact=False),
    Probe("mydata_page", "read", mydata_page, exact=False, needs="/mydata", witness="owner"),
    Probe("dataset_edit_page", "update", owner_page("edit"), needs="/datasets/x/edit"),
    Probe("dataset_share_page", "update", owner_page("share"), needs="/datasets/x/share"),
    Probe("dataset_history_page", "update", owner_page("history"), needs="/datasets/x/history"),
    # Lists the user's own publications: none in this world, so a guard against leaks only.
    Probe(
        "publication_list",
        "read",
        publication_list,
        exact=False,
        needs="/publications/",
        guard_only=True,
    ),
    Probe("doi_landing", "read", doi_landing, public=True, closed=WITHDRAWN),
    Probe("dataset_export", "read", dataset_export, public=True),
    Probe("oai_list_records", "read", oai_list_records, public=True, closed=WITHDRAWN),
    Probe("oai_get_record", "read", oai_get_record, public=True, closed=WITHDRAWN),
    Probe(
        "oai_list_identifiers",
        "read",
        oai_list_identifiers,
        public=True,
        exact=False,
        guard_only=True,
    ),
    Probe("sitemap", "read", sitemap, public=True),
]


def path_exists(path: str) -> bool:
    try:
        resolve(path)
    except (Resolver404, NoReverseMatch):
        return False
    return True
