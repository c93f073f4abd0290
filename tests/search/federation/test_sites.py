"""Three real fedcat sites (gunicorn, SQLite, tantivy) on loopback federating each other."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from .sites import SHARED, SITES, secret_pid, start_sites, stop_sites

PUBLIC = {name: [pid for pid, *_ in rows] for name, rows in SITES.items()}


@pytest.fixture(scope="session")
def sites(tmp_path_factory):
    started = start_sites(tmp_path_factory.mktemp("fedcat-sites"))
    yield started
    stop_sites(started)


def fetch(site, path: str, token: str | None = None, **params):
    params = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in params.items()}
    url = site.url + path + ("?" + urllib.parse.urlencode(params) if params else "")
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read()), response.headers


def federated(site, token=None, **flt):
    body, headers = fetch(site, "/panosc-api/federated/Datasets", token, filter=flt)
    return body, headers


def statuses(headers) -> dict[str, str]:
    found = {}
    for entry in headers["X-Federation-Status"].split(", "):
        name, status = entry.split(";")[:2]
        found[name] = status.removeprefix("status=")
    return found


def test_every_site_reaches_the_other_two(sites):
    for name, site in sites.items():
        body, headers = federated(site, query="lysozyme")

        others = sorted(n for n in sites if n != name)
        assert statuses(headers) == {"local": "ok", **{n: "ok" for n in others}}
        assert {item["partner"] for item in body} == {"local", *others}


def test_merged_by_score_each_sites_best_first(sites):
    body, _ = federated(sites["alpha"], query="lysozyme")

    scores = [item["score"] for item in body]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < score < 1 for score in scores)
    # alpha and beta both hold the shared dataset, their best match: it is listed once, and
    # gamma's best comes next
    assert [(item["pid"], item.get("alsoAt")) for item in body[:1]] == [(SHARED, ["beta"])]
    assert body[1]["partner"] == "gamma" and body[1]["score"] == body[0]["score"]
    assert "Ferritin cage" not in {item["title"] for item in body}


def test_without_a_query_newest_first_across_sites(sites):
    body, _ = federated(sites["beta"], limit=100)

    dates = [item["creationDate"] for item in body]
    assert dates == sorted(dates, reverse=True)
    assert [item["pid"] for item in body[:3]] == ["beta/1", "alpha/1", "gamma/1"]


def test_global_paging_walks_the_merged_list_once(sites):
    everything, _ = federated(sites["gamma"], limit=100)

    pages = [federated(sites["gamma"], limit=3, skip=skip)[0] for skip in range(0, 12, 3)]

    walked = [item["pid"] for page in pages for item in page]
    assert walked == [item["pid"] for item in everything]
    assert len(walked) == len(set(walked)) == 9  # 10 public datasets, one of them twice


def test_the_shared_dataset_is_listed_once(sites):
    body, _ = federated(sites["gamma"], query="shared")

    assert [(item["pid"], item["partner"], item["alsoAt"]) for item in body] == [
        (SHARED, "alpha", ["beta"])
    ]


def test_counts_are_summed_and_the_envelope_totals_a_query(sites):
    counted, headers = fetch(sites["alpha"], "/panosc-api/federated/Datasets/count")
    envelope, _ = fetch(sites["alpha"], "/api/federation/search", q="lysozyme")

    assert counted == {"count": 4 + 3 + 3}
    assert headers["X-Federation-Total"] == "10"
    assert {p["name"]: (p["count"], p["countExact"]) for p in envelope["partners"]} == {
        "local": (3, True),
        "beta": (2, True),
        "gamma": (2, True),
    }
    assert envelope["total"] == 7 and envelope["totalExact"]


def test_nothing_private_crosses_a_site_boundary(sites):
    alpha = sites["alpha"]

    anonymous, _ = federated(alpha, query="secret")
    keeper, _ = federated(alpha, token=alpha.token, query="secret")
    beta_keeper_at_alpha, _ = federated(alpha, token=sites["beta"].token, query="secret")
    counted, _ = fetch(alpha, "/panosc-api/federated/Datasets/count", alpha.token)

    assert anonymous == []
    assert [item["pid"] for item in keeper] == [secret_pid("alpha")]  # alpha's own, locally
    assert beta_keeper_at_alpha == []  # a token is only good at its own site
    assert counted == {"count": 10 + 1}
    for site in sites.values():
        everything, _ = federated(site, token=site.token, limit=100)
        foreign = {secret_pid(n) for n in sites if n != site.name}
        assert not foreign & {item["pid"] for item in everything}


def test_the_portal_page_searches_partners_too(sites):
    url = sites["alpha"].url + "/?" + urllib.parse.urlencode({"q": "lysozyme", "partners": "1"})
    with urllib.request.urlopen(url, timeout=30) as response:
        page = response.read().decode()

    assert "Lysozyme powder diffraction" in page
    assert f'href="{sites["beta"].url}/datasets/beta/1"' in page
    assert page.count('class="ok"') == 3
