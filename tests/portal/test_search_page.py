"""The search page: results, facets, paging, the year chart and error messages."""

import re
from unittest.mock import patch

import pytest
from django.urls import reverse

from tests.factories import make_dataset
from tests.portal.conftest import indexed

pytestmark = pytest.mark.django_db

SEARCH = reverse("portal:search")


def names(response) -> list[str]:
    found = re.findall(r'<h3><a href="/datasets/[^"]+">(.*?)</a></h3>', response.content.decode())
    return [re.sub(r"</?mark>", "", name) for name in found]


def facet_links(response) -> str:
    html = response.content.decode()
    return html[html.index('class="facets"') : html.index('class="results"')]


def test_search_page_lists_what_anonymous_may_see(client, catalogue):
    response = client.get(SEARCH)

    assert response.status_code == 200
    assert sorted(names(response)) == ["Tomography ended", "Tomography published"]


def test_owner_sees_all_own_datasets(client, owner, catalogue):
    client.force_login(owner)

    response = client.get(SEARCH, {"q": "tomography"})

    assert len(names(response)) == 6
    assert "6 datasets" in response.content.decode()


@pytest.mark.parametrize("persona", ["anonymous", "outsider"])
def test_private_datasets_never_appear_in_results_facets_or_chart(
    request, client, catalogue, persona
):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))

    response = client.get(SEARCH)

    html = response.content.decode()
    for hidden in ("private", "readers", "shared", "embargoed"):
        assert f"Tomography {hidden}" not in html
        assert f"kw-{hidden}" not in html
    # The chart and the year facet know 2019 (ended) and 2020 (published), nothing later.
    refine = facet_links(response)
    assert "2020: 1 dataset" in refine
    assert [bar["year"] for bar in response.context["chart"]["bars"]] == [2019, 2020]
    assert "2021" not in refine and "2022" not in refine and "2023" not in refine
    # The embargo-ended dataset's group, counted once: the hidden ones add nothing.
    assert re.search(r'>p-owner</a> <span class="count">1</span>', refine)


def test_member_sees_access_group_dataset_and_its_facet_counts(client, member, catalogue):
    client.force_login(member)

    response = client.get(SEARCH)

    assert sorted(names(response)) == [
        "Tomography ended",
        "Tomography published",
        "Tomography readers",
    ]
    assert "kw-readers" in facet_links(response)


def test_clicking_a_facet_narrows_the_results(client, owner, catalogue):
    client.force_login(owner)
    first = client.get(SEARCH)
    link = re.search(r'href="([^"]+)"[^>]*>kw-shared</a>', facet_links(first)).group(1)

    response = client.get(link.replace("&amp;", "&"))

    assert names(response) == ["Tomography shared"]
    assert response.context["q"] == "keyword:kw-shared"


def test_an_active_facet_links_back_to_the_wider_search(client, owner, catalogue):
    client.force_login(owner)

    response = client.get(SEARCH, {"q": "tomography year:2022"})

    assert sorted(names(response)) == ["Tomography readers", "Tomography shared"]
    active = re.search(r'<li class="active"><a href="([^"]+)"', response.content.decode())
    assert active is not None
    wider = client.get(active.group(1).replace("&amp;", "&"))
    assert len(names(wider)) == 6


def test_year_chart_bars_link_to_the_year(client, owner, catalogue):
    client.force_login(owner)

    html = client.get(SEARCH).content.decode()

    assert '<svg role="img"' in html
    assert "2022: 2 datasets" in html
    assert "q=year%3A2022" in html


def test_a_page_past_the_reachable_window_is_a_message(client, catalogue):
    response = client.get(SEARCH, {"q": "tomography", "page": "5000"})

    assert response.status_code == 400
    assert "only the first 10000 results" in response.content.decode()


def test_pages_hold_distinct_results_in_order(client, owner, index_dir):
    client.force_login(owner)
    made = [make_dataset(dataset_name=f"Run {n:02d}", embargo_end=None) for n in range(12)]
    indexed(*made)

    pages = [
        names(client.get(SEARCH, {"q": "sort:name", "size": "10", "page": page}))
        for page in ("1", "2")
    ]

    assert pages[0] == [f"Run {n:02d}" for n in range(10)]
    assert pages[1] == ["Run 10", "Run 11"]
    html = client.get(SEARCH, {"q": "sort:name", "size": "10"}).content.decode()
    assert 'rel="next"' in html and "page=2" in html


def test_sort_control_orders_the_results(client, owner, catalogue):
    client.force_login(owner)

    newest = names(client.get(SEARCH, {"sort": "-date"}))
    oldest = names(client.get(SEARCH, {"sort": "date"}))

    assert newest[0] == "Tomography embargoed"
    assert oldest == list(reversed(newest))


def test_malformed_query_shows_the_parser_message(client, catalogue):
    response = client.get(SEARCH, {"q": 'title:"unclosed'})

    assert response.status_code == 400
    assert "unbalanced quote" in response.content.decode()
    assert names(response) == []


def test_an_inverted_range_is_reported(client, catalogue):
    response = client.get(SEARCH, {"q": "temperature:[3 TO 1]"})

    assert response.status_code == 400
    assert "the lower bound is above the upper bound" in response.content.decode()


def test_invalid_page_control_is_a_message(client, catalogue):
    response = client.get(SEARCH, {"sort": "sideways"})

    assert response.status_code == 400
    assert "sideways" in response.content.decode()


def test_search_engine_failure_shows_a_notice_and_no_results(client, catalogue):
    with patch("search.service.get_backend", side_effect=RuntimeError("index gone")):
        response = client.get(SEARCH, {"q": "tomography"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "not available at the moment" in html
    assert names(response) == []
    assert "index gone" not in html


def test_html_in_titles_descriptions_and_keywords_is_escaped(client, index_dir):
    evil = "<script>alert(1)</script>"
    dataset = make_dataset(
        dataset_name=f"Scan {evil}",
        description=f"About scan {evil} <b>bold</b>",
        keywords=[evil],
        is_published=True,
        embargo_end=None,
    )
    indexed(dataset)

    for query in ("", "scan", "alert"):
        html = client.get(SEARCH, {"q": query}).content.decode()
        assert "<script>alert" not in html
        assert "<b>bold" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_matches_are_highlighted(client, catalogue):
    html = client.get(SEARCH, {"q": "published"}).content.decode()

    assert "<mark>published</mark>" in html


def test_search_alias_and_shareable_url(client, catalogue):
    response = client.get("/search", {"q": "tomography", "sort": "-date", "size": "25"})

    assert response.status_code == 200
    assert 'value="tomography"' in response.content.decode()
    assert response.context["keep"] == {"q": "tomography", "sort": "-date"}
    assert '<option value="25" selected>' in response.content.decode()


def test_thumbnails_of_visible_datasets_are_shown(client, index_dir):
    from catalogue.access import SYSTEM
    from catalogue.services import attachment_add

    png = "data:image/png;base64,iVBORw0KGgo="
    dataset = make_dataset(dataset_name="With preview", is_published=True, embargo_end=None)
    attachment_add(user=SYSTEM, dataset=dataset, thumbnail=png, caption="Preview (harvest)")
    attachment_add(
        user=SYSTEM, dataset=dataset, thumbnail="data:text/html;base64,PGI+", caption="x"
    )
    indexed(dataset)

    html = client.get(SEARCH).content.decode()

    assert f'src="{png}"' in html
    assert "data:text/html" not in html


def test_help_page_renders_the_syntax_document(client):
    response = client.get(reverse("portal:search-help"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<table>" in html
    assert "<code>sort:-date</code>" in html


def test_thumbnail_is_the_first_image_that_fits(client, index_dir):
    from datetime import timedelta

    from django.utils import timezone

    from catalogue.access import SYSTEM
    from catalogue.models import Attachment
    from catalogue.services import attachment_add
    from portal.pages.search import MAX_THUMBNAIL

    jpeg = "data:image/jpeg;base64,/9j/4AAQ"
    dataset = make_dataset(dataset_name="Previews", is_published=True, embargo_end=None)
    start = timezone.now()
    for n, thumbnail in enumerate(
        [
            "data:text/html;base64,PGI+",  # not an image
            "data:IMAGE/PNG;base64,iVBORw0KGgo=",  # the prefix is compared exactly
            "data:image/png;base64," + "A" * MAX_THUMBNAIL,  # too big for a result list
            jpeg,
            "data:image/png;base64,second",
        ]
    ):
        made = attachment_add(user=SYSTEM, dataset=dataset, thumbnail=thumbnail, caption="c")
        later = start + timedelta(seconds=n)  # in this order, whatever their random ids
        Attachment.objects.filter(pk=made.pk).update(created_at=later)
    indexed(dataset)

    html = client.get(SEARCH).content.decode()

    assert html.count('class="thumb"') == 1
    assert f'src="{jpeg}"' in html


def test_queries_per_search_page_do_not_grow_with_the_results(client, owner, index_dir):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalogue.access import SYSTEM
    from catalogue.services import attachment_add

    client.force_login(owner)

    def queries_for(count: int) -> int:
        made = [
            make_dataset(
                dataset_name=f"Scan {count}-{n}",
                keywords=[f"kw-{count}-{n}"],
                owner_group="p-owner",
                embargo_end=None,
            )
            for n in range(count)
        ]
        for dataset in made:
            attachment_add(user=SYSTEM, dataset=dataset, thumbnail="data:image/png;base64,x")
        indexed(*made)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(SEARCH, {"q": f"Scan {count}"})
        assert len(names(response)) >= count
        return len(queries.captured_queries)

    assert queries_for(2) == queries_for(12)


@pytest.mark.parametrize(
    "pid", ["fedcat/1234", "10.5072/a b", "p/ä?x#y&z=1", "//x", "a%2Fb", "x:y@z;w~v!$'()*+,"]
)
def test_result_links_are_the_dataset_page_urls(pid):
    from portal.pages.search import dataset_path

    prefix = reverse("portal:dataset", kwargs={"pid": "-"})[:-1]

    assert dataset_path(prefix, pid) == reverse("portal:dataset", kwargs={"pid": pid})
