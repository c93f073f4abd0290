"""The federated search service against fake partners on loopback and the local catalogue."""

import pytest
from django.contrib.auth.models import AnonymousUser

from search.federation import breaker
from search.federation.query import from_panosc, where_query
from search.federation.service import federated_count, federated_search
from search.query import parse_query_string
from tests.factories import make_user

from .fakes import FakePartnerProcess, dataset

pytestmark = pytest.mark.django_db
ANONYMOUS = AnonymousUser()


def statuses(result):
    return {s.name: s.status for s in result.statuses}


def pids(result):
    return [item["pid"] for item in result.items]


def search(flt=None, user=ANONYMOUS, entity="Datasets"):
    return federated_search(user, from_panosc(entity, flt or {}))


# --- merging --------------------------------------------------------------------------------------
def test_results_are_ranked_together_by_scores_scaled_per_partner(
    federation, fake, local_catalogue
):
    a = fake([dataset("a/1", "Lysozyme A1", 0.9), dataset("a/2", "Lysozyme A2", 0.45)])
    b = fake([dataset("b/1", "Lysozyme B1", 0.2), dataset("b/2", "Lysozyme B2", 0.19)])
    federation.use(alpha=a, beta=b)

    result = search({"query": "lysozyme"})

    assert statuses(result) == {"local": "ok", "alpha": "ok", "beta": "ok"}
    # each partner's best scores the same; ties go to the partner listed first
    assert pids(result)[:3] == ["local/lysozyme-2", "a/1", "b/1"]
    assert pids(result)[3] == "b/2"  # 0.19 of a best 0.2 beats 0.45 of a best 0.9
    assert pids(result)[-1] == "a/2"
    assert all(0 < item["score"] < 1 for item in result.items)
    assert [item["partnerScore"] for item in result.items if item["partner"] == "beta"] == [
        0.2,
        0.19,
    ]


def test_every_result_is_labelled_with_its_partner(federation, fake, local_catalogue):
    a = fake([dataset("a/1", "Lysozyme A1", 0.9)])
    federation.use(alpha=a)

    result = federated_search(
        ANONYMOUS, from_panosc("Datasets", {"query": "lysozyme"}), base_url="http://here/"
    )

    labels = {item["pid"]: (item["partner"], item["provider"]) for item in result.items}
    assert labels["a/1"] == ("alpha", a.url)
    assert labels["local/lysozyme-1"] == ("local", "http://here/panosc-api")
    local = next(i for i in result.items if i["pid"] == "local/lysozyme-1")
    assert local["url"] == "http://here/datasets/local/lysozyme-1"


def test_without_a_query_results_come_newest_first_across_partners(
    federation, fake, local_catalogue
):
    a = fake(
        [
            dataset("a/1", "A1", date="2025-02-01T00:00:00Z"),
            dataset("a/2", "A2", date="2023-01-01T00:00:00Z"),
        ]
    )
    federation.use(alpha=a)

    result = search()

    assert pids(result) == ["local/lysozyme-1", "a/1", "local/lysozyme-2", "local/other", "a/2"]
    assert a.lists()[0]["params"]["filter"] == [
        '{"limit": 100, "skip": 0, "order": "creationDate DESC"}'
    ]


def test_page_two_is_the_true_page_two(federation, fake, settings, local_catalogue):
    settings.FEDERATION_CACHE_SECONDS = 0  # every page asks the partners
    a = fake([dataset(f"a/{n}", f"A{n}", date=f"2025-0{n}-15T00:00:00Z") for n in range(1, 6)])
    b = fake([dataset(f"b/{n}", f"B{n}", date=f"2024-0{n}-15T00:00:00Z") for n in range(1, 6)])
    federation.use(alpha=a, beta=b)
    everything = pids(search({"limit": 100}))

    pages = [pids(search({"limit": 3, "skip": skip})) for skip in range(0, 15, 3)]

    assert [pid for page in pages for pid in page] == everything
    assert len(everything) == 13
    # page 2 asked every partner for its first skip + limit items
    assert '"limit": 6, "skip": 0' in a.lists()[2]["params"]["filter"][0]


def test_the_same_record_at_two_partners_is_listed_once(federation, fake, local_catalogue):
    a = fake([dataset("10.1234/ABC", "Shared lysozyme", 0.9), dataset("a/2", "Lysozyme A2", 0.5)])
    b = fake(
        [{**dataset("b-copy", "Shared lysozyme copy", 0.8), "doi": "https://doi.org/10.1234/abc"}]
    )
    federation.use(alpha=a, beta=b)

    result = search({"query": "lysozyme", "limit": 100})

    shared = [item for item in result.items if "Shared" in item["title"]]
    assert len(shared) == 1
    assert shared[0]["partner"] == "alpha"
    assert shared[0]["alsoAt"] == ["beta"]


def test_counts_are_summed_as_numbers(federation, fake, local_catalogue):
    a = fake([dataset("a/1", "A1")], count=7)
    b = fake([dataset("b/1", "B1")], count="8")  # the aggregator's own string-count bug
    federation.use(alpha=a, beta=b)

    result = federated_count(ANONYMOUS, where_query("Datasets", None))

    assert result.total == 3 + 7 + 8  # the private local dataset is not counted
    assert {s.name: s.count for s in result.statuses} == {"local": 3, "alpha": 7, "beta": 8}


def test_a_search_total_adds_exact_partner_counts(federation, fake, local_catalogue):
    a = fake([dataset("a/1", "A1")], count=40)
    federation.use(alpha=a)

    result = search({"limit": 2})

    assert result.total == 3 + 40
    assert result.exact


def test_a_query_total_from_a_plain_provider_is_a_lower_bound(federation, fake, local_catalogue):
    a = fake([dataset(f"a/{n}", "Lysozyme") for n in range(5)])
    federation.use(alpha=a)

    result = search({"query": "lysozyme", "limit": 2})

    alpha = next(s for s in result.statuses if s.name == "alpha")
    assert (alpha.count, alpha.exact) == (2, False)
    assert not result.exact


# --- partners that fail ---------------------------------------------------------------------------
def test_a_slow_partner_times_out_and_the_others_answer(federation, fake, local_catalogue):
    slow = fake([dataset("slow/1", "Lysozyme slow", 0.9)], delay=2)
    quick = fake([dataset("quick/1", "Lysozyme quick", 0.9)])
    federation.use(slow=(slow, {"timeout": 0.2}), quick=quick)

    result = search({"query": "lysozyme"})

    assert statuses(result) == {"local": "ok", "slow": "timeout", "quick": "ok"}
    assert "quick/1" in pids(result) and "slow/1" not in pids(result)
    assert not result.exact


def test_the_deadline_bounds_the_whole_search(federation, fake, settings, local_catalogue):
    settings.FEDERATION_DEADLINE_SECONDS = 0.2
    slow = fake([dataset("slow/1", "Lysozyme")], delay=2)
    federation.use(slow=(slow, {"timeout": 10}))

    result = search({"query": "lysozyme"})

    assert statuses(result)["slow"] == "timeout"
    assert statuses(result)["local"] == "ok"


@pytest.mark.parametrize(
    ("config", "status"),
    [
        ({"mode": "invalid-json"}, "error: invalid JSON"),
        ({"mode": "error500"}, "error: HTTP 500"),
        ({"mode": "redirect"}, "error: HTTP 302 redirect (not followed)"),
        ({"mode": "huge"}, "error: answer larger than 100000 bytes"),
    ],
)
def test_a_partner_sending_garbage_gets_an_error_status(federation, fake, settings, config, status):
    settings.FEDERATION_MAX_RESPONSE_BYTES = 100_000
    bad = fake(**config)
    good = fake([dataset("good/1", "Good")])
    federation.use(bad=bad, good=good)

    result = search()

    assert statuses(result)["bad"] == status
    assert statuses(result)["good"] == "ok"
    assert pids(result) == ["good/1"]


def test_a_partner_killed_midway_and_then_gone(federation, fake):
    doomed = FakePartnerProcess([dataset("doomed/1", "Doomed")], mode="die-midway")
    good = fake([dataset("good/1", "Good")])
    federation.use(doomed=doomed, good=good)
    try:
        first = search()
        second = search()
    finally:
        doomed.kill()

    assert statuses(first)["doomed"] == "error: connection closed before the answer was complete"
    assert statuses(second)["doomed"] == "error: connection refused"
    assert pids(first) == pids(second) == ["good/1"]


def test_script_tags_from_a_partner_stay_plain_text(federation, fake):
    evil = fake([dataset("evil/1", "<script>alert(1)</script>", 0.9) | {"url": "javascript:x"}])
    federation.use(evil=evil)

    result = search()

    assert result.items[0]["title"] == "<script>alert(1)</script>"
    assert result.items[0]["url"] is None  # a partner cannot choose the link


# --- allowlist, credentials, cache, breaker -------------------------------------------------------
def test_a_partner_outside_the_allowlist_is_never_asked(federation, fake, settings):
    outside = fake([dataset("x/1", "X")])
    federation.use(outside=outside)
    settings.FEDERATION_ALLOWED_HOSTS = ["catalogue.example.org", "*.example.org"]

    result = search()

    assert statuses(result)["outside"] == "error: host not in FEDERATION_ALLOWED_HOSTS"
    assert outside.requests == []


def test_partners_see_an_anonymous_request_whoever_searches(federation, fake, local_catalogue):
    owner = make_user("olivia", "p-owner")
    a = fake([dataset("a/1", "Lysozyme")])
    federation.use(alpha=a)

    result = search({"query": "secret"}, user=owner)

    assert pids(result) == ["local/secret"]  # the owner's own private dataset, locally
    for request in a.requests:
        headers = {name.lower() for name in request["headers"]}
        assert not headers & {"authorization", "cookie"}
        assert request["headers"]["X-Fedcat-Federation"] == "1"
    assert pids(search({"query": "secret"})) == []


def test_answers_are_cached_per_partner_and_question(federation, fake):
    a = fake([dataset(f"a/{n}", f"A{n}") for n in range(10)])
    federation.use(alpha=a)

    search({"limit": 3})
    again = search({"limit": 3})
    assert len(a.lists()) == 1
    assert next(s for s in again.statuses if s.name == "alpha").cached

    search({"limit": 3, "skip": 3})  # a larger window: asked again
    search({"limit": 3})  # within the cached window
    search({"limit": 3, "where": {"title": "A1"}})  # another question
    assert len(a.lists()) == 3


def test_a_failing_partner_is_left_alone_then_tried_again(federation, fake, settings, monkeypatch):
    settings.FEDERATION_BREAKER_FAILURES = 2
    flaky = fake(mode="error500")
    federation.use(flaky=flaky)

    search({"limit": 1})
    search({"limit": 2})
    skipped = search({"limit": 3})

    assert len(flaky.lists()) == 2
    assert statuses(skipped)["flaky"].startswith("error: not asked for 60 s")
    flaky.config["mode"] = "ok"
    flaky.config["items"] = [dataset("f/1", "Back")]
    later = breaker.clock() + 61
    monkeypatch.setattr(breaker, "clock", lambda: later)

    recovered = search({"limit": 4})

    assert statuses(recovered)["flaky"] == "ok"
    assert breaker.state("flaky").state == "closed"


def test_a_4xx_does_not_open_the_breaker(federation, fake, settings):
    settings.FEDERATION_BREAKER_FAILURES = 1
    picky = fake(mode="status", status=400)
    federation.use(picky=picky)

    first, second = search({"limit": 1}), search({"limit": 2})

    assert statuses(first)["picky"] == statuses(second)["picky"] == "error: HTTP 400"
    assert len(picky.lists()) == 2
    assert breaker.state("picky").state == "closed"


def test_portal_filters_partners_cannot_apply_are_not_sent(federation, fake, local_catalogue):
    a = fake([dataset("a/1", "Lysozyme")])
    federation.use(alpha=a)
    from search.federation.query import from_portal

    result = federated_search(ANONYMOUS, from_portal(parse_query_string("lysozyme type:raw")))

    assert statuses(result)["alpha"] == "error: not asked, it cannot apply type"
    assert a.requests == []
    assert sorted(pids(result)) == ["local/lysozyme-1", "local/lysozyme-2"]


def test_documents_are_federated_too(federation, fake):
    a = fake([{"pid": "10.5072/doc", "title": "A proposal", "type": "proposal", "isPublic": True}])
    federation.use(alpha=a)

    result = search(entity="Documents")

    assert pids(result) == ["10.5072/doc"]
    assert a.lists()[0]["path"] == "/api/Documents"
    assert result.items[0]["url"] == "https://doi.org/10.5072/doc"


def test_each_partner_request_is_counted_and_timed_in_the_metrics(federation, fake):
    from portal.observability.metrics import REGISTRY

    federation.use(alpha=fake([dataset("a/1", "A")]), bad=fake(mode="invalid-json"))

    def sample(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0

    before = (
        sample("fedcat_federation_requests_total", partner="alpha", status="ok"),
        sample("fedcat_federation_requests_total", partner="bad", status="error"),
        sample("fedcat_federation_request_duration_seconds_count", partner="alpha"),
    )
    search()

    after = (
        sample("fedcat_federation_requests_total", partner="alpha", status="ok"),
        sample("fedcat_federation_requests_total", partner="bad", status="error"),
        sample("fedcat_federation_request_duration_seconds_count", partner="alpha"),
    )
    assert [b - a for a, b in zip(before, after, strict=True)] == [1, 1, 1]
