"""The dataset page per persona, its metadata, files, citation exports and linked records."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalogue.access import SYSTEM
from catalogue.models import PublishedData
from catalogue.services import instrument_create, proposal_create, sample_create
from tests.factories import make_dataset, make_user
from tests.portal.conftest import with_files

pytestmark = pytest.mark.django_db


def page(dataset) -> str:
    return reverse("portal:dataset", kwargs={"pid": dataset.pid})


def jsonld(html: str) -> dict:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


@pytest.fixture
def private(db):
    return make_dataset(dataset_name="Private scan", embargo_end=None)


def test_owner_sees_their_private_dataset(client, owner, private):
    client.force_login(owner)

    response = client.get(page(private))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Private scan</h1>" in html
    assert "you are in its owner group" in html
    assert "private (no embargo end set)" in html


def test_outsider_is_refused_with_403(client, outsider, private):
    client.force_login(outsider)

    response = client.get(page(private))

    assert response.status_code == 403
    assert "Private scan" not in response.content.decode()


def test_anonymous_is_refused_and_offered_to_sign_in(client, private):
    response = client.get(page(private))

    assert response.status_code == 403
    assert "Sign in" in response.content.decode()
    assert "Private scan" not in response.content.decode()


def test_missing_dataset_is_404(client, db):
    response = client.get(reverse("portal:dataset", kwargs={"pid": "fedcat/none-such"}))

    assert response.status_code == 404


def test_embargoed_dataset_shows_until_when(client, owner):
    end = timezone.now() + timedelta(days=800)
    dataset = make_dataset(embargo_end=end.isoformat())
    client.force_login(owner)

    html = client.get(page(dataset)).content.decode()

    assert f"embargoed until {end:%Y-%m-%d}" in html


def test_shared_dataset_says_so(client, db):
    sam = make_user("sam", "other-group", email="sam@example.org")
    dataset = make_dataset(shared_with=["sam@example.org"], embargo_end=None)
    client.force_login(sam)

    html = client.get(page(dataset)).content.decode()

    assert "shared with you" in html


def test_published_dataset_is_public_for_anonymous(client, db):
    dataset = make_dataset(dataset_name="Open data", is_published=True, embargo_end=None)

    response = client.get(page(dataset))

    assert response.status_code == 200
    assert "public (published)" in response.content.decode()


def test_json_ld_parses_even_with_script_in_the_title(client, db):
    evil = "</script><script>alert(1)</script>"
    dataset = make_dataset(
        dataset_name=f"Scan {evil}",
        description="A & B <i>",
        keywords=["saxs"],
        is_published=True,
        embargo_end=None,
        license="CC-BY-4.0",
    )

    html = client.get(page(dataset)).content.decode()

    data = jsonld(html)
    assert data["@type"] == "Dataset"
    assert data["name"] == f"Scan {evil}"
    assert data["description"] == "A & B <i>"
    assert data["license"] == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert data["identifier"][0] == dataset.pid
    assert "<script>alert(1)" not in html


def test_html_in_fields_and_metadata_is_escaped(client, db):
    evil = "<script>alert(1)</script>"
    dataset = make_dataset(
        dataset_name=evil,
        description=f"desc {evil}",
        keywords=[evil],
        scientific_metadata={evil: {"nested": evil, "list": [evil, 1]}},
        is_published=True,
        embargo_end=None,
    )

    html = client.get(page(dataset)).content.decode()

    body = html.split("</head>", 1)[1]
    assert "<script" not in body
    assert body.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5


def test_metadata_tree_shows_units_and_si_values(client, db):
    dataset = make_dataset(
        scientific_metadata={
            "beam": {"energy": {"value": 12.4, "unit": "keV"}, "mode": "pink"},
            "runs": [1, 2, 3],
        },
        is_published=True,
        embargo_end=None,
    )

    html = client.get(page(dataset)).content.decode()

    assert '<summary class="key">beam</summary>' in html
    assert re.search(
        r'<span class="value quantity" title="SI: 1\.98\d*e-15 J">12\.4 keV</span>'
        r'<span class="visually-hidden"> \(SI: 1\.98\d*e-15 J\)</span>',
        html,
    )
    assert '<span class="key">mode</span> <span class="value">pink</span>' in html
    assert '<span class="key">runs</span> <span class="value">1, 2, 3</span>' in html


def test_file_list_pages_with_a_cursor(client, owner, settings):
    settings.DOWNLOAD_ROOTS = []
    dataset = make_dataset(embargo_end=None)
    files = with_files(dataset, [f"frames/f{n:03d}.tif" for n in range(230)])
    client.force_login(owner)

    first = client.get(page(dataset)).content.decode()
    cursor = re.search(r'href="\?after=(\d+)#files"', first).group(1)
    second = client.get(page(dataset), {"after": cursor}).content.decode()
    cursor2 = re.search(r'href="\?after=(\d+)#files"', second).group(1)
    third = client.get(page(dataset), {"after": cursor2}).content.decode()

    assert int(cursor) == files[99].pk
    assert "frames/f000.tif" in first and "frames/f099.tif" in first
    assert "frames/f100.tif" not in first
    assert "frames/f100.tif" in second and "frames/f199.tif" in second
    assert "frames/f200.tif" not in second
    assert "frames/f229.tif" in third and 'rel="next"' not in third
    assert "Downloads are not enabled" in first


def test_file_list_shows_sizes_and_checksums(client, owner, settings):
    settings.DOWNLOAD_ROOTS = []
    dataset = make_dataset(embargo_end=None)
    with_files(dataset, ["a.h5"])
    client.force_login(owner)

    html = client.get(page(dataset)).content.decode()

    assert '<td class="num" title="1 bytes">1 B</td>' in html
    assert '<span class="muted">sha256</span> <code>c00</code>' in html


def test_reader_without_download_right_sees_no_files(client, settings):
    settings.UPDATE_DATASET_LIFECYCLE_GROUPS = ["archivists"]
    archivist = make_user("arch", "archivists")
    dataset = make_dataset(embargo_end=None)
    with_files(dataset, ["secret.h5"])
    client.force_login(archivist)

    html = client.get(page(dataset)).content.decode()

    assert "not its files" in html
    assert "secret.h5" not in html


def test_bibtex_export(client, db):
    dataset = make_dataset(
        dataset_name="Beam {test} 100%",
        principal_investigators=["Ada Lovelace", "Charles Babbage"],
        is_published=True,
        embargo_end=None,
        creation_time="2024-06-01T00:00:00Z",
    )

    response = client.get(reverse("portal:dataset-bibtex", kwargs={"pid": dataset.pid}))

    text = response.content.decode()
    assert response["Content-Type"].startswith("application/x-bibtex")
    assert text.startswith("@misc{fedcat_")
    assert "  author = {Ada Lovelace and Charles Babbage}," in text
    assert r"  title = {{Beam \{test\} 100\%}}," in text
    assert "  year = {2024}," in text
    assert "  publisher = {fedcat}," in text
    assert f"http://testserver/datasets/{dataset.pid}" in text


def test_ris_export_uses_the_doi_and_facility(client, settings, db):
    settings.FACILITY = "Light Source X"
    dataset = make_dataset(
        dataset_name="Beam\ntest", is_published=True, embargo_end=None, keywords=["a", "b"]
    )
    PublishedData.objects.create(
        doi="10.1234/abc",
        title="t",
        dataset_pids=[dataset.pid],
        status="registered",
        registered_time=datetime(2025, 2, 1, tzinfo=UTC),
    )

    text = client.get(reverse("portal:dataset-ris", kwargs={"pid": dataset.pid})).content.decode()

    lines = text.split("\r\n")
    assert lines[0] == "TY  - DATA"
    assert "TI  - Beam test" in lines
    assert "PY  - 2025" in lines
    assert "PB  - Light Source X" in lines
    assert "DO  - 10.1234/abc" in lines
    assert "UR  - https://doi.org/10.1234/abc" in lines
    assert [line for line in lines if line.startswith("KW")] == ["KW  - a", "KW  - b"]
    assert lines[-2] == "ER  - "


def test_citation_exports_follow_the_access_rules(client, private):
    response = client.get(reverse("portal:dataset-bibtex", kwargs={"pid": private.pid}))

    assert response.status_code == 403
    assert "Private scan" not in response.content.decode()


def test_python_snippet_names_the_pid(client, db):
    dataset = make_dataset(is_published=True, embargo_end=None)

    html = client.get(page(dataset)).content.decode()

    assert f"client.datasets_get_one(&#x27;{dataset.pid}&#x27;)" in html
    assert "http://testserver/api/v3" in html


def test_linked_records_are_linked_only_where_readable(client, outsider):
    instrument_create(
        user=SYSTEM, data={"pid": "inst/1", "unique_name": "BL-1", "name": "Beamline 1"}
    )
    proposal_create(
        user=SYSTEM,
        data={
            "proposal_id": "p-secret",
            "email": "a@b.org",
            "title": "Hidden",
            "owner_group": "p-owner",
        },
    )
    sample_create(
        user=SYSTEM,
        data={
            "sample_id": "s-open",
            "owner_group": "x",
            "is_published": True,
            "description": "Salt",
        },
    )
    dataset = make_dataset(
        proposal_ids=["p-secret"],
        sample_ids=["s-open"],
        instrument_ids=["inst/1"],
        is_published=True,
        embargo_end=None,
    )
    client.force_login(outsider)

    html = client.get(page(dataset)).content.decode()

    assert 'href="/instruments/inst/1">Beamline 1</a>' in html
    assert 'href="/samples/s-open">s-open</a>: Salt' in html
    assert "p-secret" in html and "/proposals/p-secret" not in html and "Hidden" not in html


def test_proposal_page_follows_proposal_rules(client, owner, outsider):
    proposal_create(
        user=SYSTEM,
        data={
            "proposal_id": "p-1",
            "email": "a@b.org",
            "title": "Crystals",
            "owner_group": "p-owner",
        },
    )
    make_dataset(dataset_name="Crystal run", proposal_ids=["p-1"], embargo_end=None)
    url = reverse("portal:proposal", kwargs={"proposal_id": "p-1"})

    client.force_login(owner)
    mine = client.get(url)
    client.force_login(outsider)
    theirs = client.get(url)
    missing = client.get(reverse("portal:proposal", kwargs={"proposal_id": "p-none"}))

    assert mine.status_code == 200 and "Crystal run" in mine.content.decode()
    assert theirs.status_code == 403 and "Crystals" not in theirs.content.decode()
    assert missing.status_code == 404


def test_sample_and_instrument_pages_list_only_visible_datasets(client):
    instrument_create(
        user=SYSTEM, data={"pid": "inst/2", "unique_name": "BL-2", "name": "Beamline 2"}
    )
    sample_create(
        user=SYSTEM,
        data={
            "sample_id": "s-1",
            "owner_group": "x",
            "is_published": True,
            "sample_characteristics": {"mass": {"value": 2, "unit": "g"}},
        },
    )
    make_dataset(
        dataset_name="Open run",
        sample_ids=["s-1"],
        instrument_ids=["inst/2"],
        is_published=True,
        embargo_end=None,
    )
    make_dataset(
        dataset_name="Closed run", sample_ids=["s-1"], instrument_ids=["inst/2"], embargo_end=None
    )

    sample = client.get(reverse("portal:sample", kwargs={"sample_id": "s-1"})).content.decode()
    instrument = client.get(reverse("portal:instrument", kwargs={"pid": "inst/2"}))
    missing = client.get(reverse("portal:instrument", kwargs={"pid": "inst/none"}))

    assert "Open run" in sample and "Closed run" not in sample
    assert "2 g" in sample
    assert "Open run" in instrument.content.decode()
    assert "Closed run" not in instrument.content.decode()
    assert missing.status_code == 404
