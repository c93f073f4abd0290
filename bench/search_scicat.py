"""SciCat's fullquery and fullfacet for bench/search.py --scicat (loaded by it, not run alone)."""

from __future__ import annotations

import time


class Clock:
    """Wall time of a block, in ms."""

    def __enter__(self):
        self.wall = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.wall = 1000 * (time.perf_counter() - self.wall)


SCICAT_FACETS = ["type", "creationLocation", "ownerGroup", "keywords"]


def run(queries: list[str], token: str, database_samples: int) -> dict:
    """SciCat's /Datasets/fullquery (a page of 25, newest first) and /fullfacet (four facets)
    with `fields.text`, in-process, through the engine; and the first `database_samples`
    fullfacet queries again with the database answering (as before fullsearch.py), if asked."""
    import json
    from unittest import mock

    from django.test import Client

    client = Client()
    header = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    base = "/api/v3/Datasets/"

    def call(endpoint, q):
        params = {"fields": json.dumps({"text": q})}
        if endpoint == "fullfacet":
            params["facets"] = json.dumps(SCICAT_FACETS)
        else:
            params["limits"] = json.dumps({"limit": 25, "order": "creationTime:desc"})
        with Clock() as clock:
            response = client.get(base + endpoint, params, **header)
        assert response.status_code == 200, response.content[:300]
        return clock

    for q in queries[:20]:
        call("fullquery", q), call("fullfacet", q)
    timings: dict[str, list[float]] = {"fullquery": [], "fullfacet": [], "fullfacet, database": []}
    for q in queries:
        for endpoint in ("fullquery", "fullfacet"):
            timings[endpoint].append(call(endpoint, q).wall)
    with mock.patch("catalogue.api.datasets.views.engine_search", return_value=None):
        for q in queries[:database_samples]:
            timings["fullfacet, database"].append(call("fullfacet", q).wall)
    return timings
