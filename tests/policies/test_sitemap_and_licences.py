"""The sitemap of public pages, and the licence vocabulary."""

from __future__ import annotations

import pytest

from catalogue.policies.licences import canonical_id, default_licence, known_licences, licence
from tests.factories import make_dataset

from .conftest import days, embargoed


@pytest.mark.django_db
def test_sitemap_lists_public_dataset_pages_only(client):
    public = make_dataset(is_published=True)
    ended = embargoed(-days(1))
    closed = embargoed(days(100))
    private = make_dataset(embargo_end=None)

    index = client.get("/sitemap.xml")
    section = client.get("/sitemap-datasets.xml")

    assert index.status_code == 200 and b"sitemap-datasets.xml" in index.content
    text = section.content.decode()
    assert f"/datasets/{public.pid}" in text and f"/datasets/{ended.pid}" in text
    assert closed.pid not in text and private.pid not in text


@pytest.mark.django_db
def test_sitemap_lists_embargoed_records_when_their_metadata_are_public(client, settings):
    settings.EMBARGO_METADATA_PUBLIC = True
    closed = embargoed(days(100))

    assert closed.pid in client.get("/sitemap-datasets.xml").content.decode()


@pytest.mark.django_db
def test_unknown_sitemap_section_is_404(client):
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_licences_are_named_and_linked_by_spdx_id():
    cc = licence("cc-by-4.0")

    assert (cc.id, cc.name) == ("CC-BY-4.0", "Creative Commons Attribution 4.0 International")
    assert cc.url == "https://creativecommons.org/licenses/by/4.0/legalcode"
    assert cc.spdx_url == "https://spdx.org/licenses/CC-BY-4.0.html"
    assert cc.known and cc.link == cc.url


def test_free_text_licences_are_kept_without_links():
    text = licence("Ask the facility before use")

    assert (text.id, text.name, text.url, text.spdx_url) == (
        "Ask the facility before use",
        "",
        "",
        "",
    )
    assert licence("") is None and licence(None) is None
    assert canonical_id(" mit ") == "MIT"


def test_unknown_spdx_shaped_ids_link_to_spdx():
    other = licence("LGPL-3.0-only")

    assert not other.known
    assert other.link == "https://spdx.org/licenses/LGPL-3.0-only.html"


def test_default_licence_comes_from_the_setting(settings):
    settings.DEFAULT_LICENSE = "CC0-1.0"

    assert default_licence().name == "Creative Commons Zero v1.0 Universal"
    assert "CC-BY-4.0" in {item.id for item in known_licences()}


@pytest.mark.django_db
def test_an_exported_embargoed_record_says_its_data_are_not_open(client, settings):
    settings.EMBARGO_METADATA_PUBLIC = True
    closed = embargoed(days(100))
    public = make_dataset(is_published=True)

    def accessible(dataset) -> bool:
        url = f"/export/datasets/{dataset.pid}.jsonld"
        return client.get(url).json()["isAccessibleForFree"]

    assert accessible(closed) is False
    assert accessible(public) is True
