"""DOI landing pages: HTML with JSON-LD, content negotiation, tombstones, exports."""

import json
from datetime import UTC, datetime

import pytest
from lxml import etree, html

from catalogue.access import SYSTEM
from catalogue.formats import FORMATS
from catalogue.services.datasets import dataset_update
from tests.catalogue.publishing import xsd
from tests.catalogue.publishing.conftest import publish
from tests.factories import make_dataset

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def landing(client, doi, accept=None):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    return client.get(f"/doi/{doi}", **headers)


def withdraw(item, reason="Duplicate of another record"):
    item.withdrawn_at = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    item.withdrawal_reason = reason
    item.save()


def test_landing_page_is_html_with_matching_schemaorg_jsonld(client, publication):
    response = landing(client, publication.doi, BROWSER)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = html.fromstring(response.content)
    scripts = page.xpath('//script[@type="application/ld+json"]')
    assert len(scripts) == 1
    data = json.loads(scripts[0].text)
    assert data["@type"] == "Dataset"
    assert data["name"] == page.findtext(".//h1") == publication.title
    assert data["description"] == publication.abstract
    assert page.xpath('//meta[@name="robots"]') == []


def test_jsonld_in_the_page_cannot_close_its_script_element(client, db):
    item = publish(abstract="Ends early </script><script>alert(1)</script> & more")
    page = html.fromstring(landing(client, item.doi).content)
    data = json.loads(page.xpath('//script[@type="application/ld+json"]')[0].text)
    assert data["description"] == item.abstract
    assert page.xpath("//script[not(@type)]") == []


@pytest.mark.parametrize("fmt", list(FORMATS.values()), ids=list(FORMATS))
def test_each_datacite_media_type_is_negotiated(client, publication, fmt):
    response = landing(client, publication.doi, fmt.media_type)
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == fmt.media_type
    assert publication.doi.encode() in response.content
    assert "Accept" in response["Vary"]


def test_negotiated_datacite_xml_validates(client, publication):
    xsd.require_schemas()
    response = landing(client, publication.doi, "application/vnd.datacite.datacite+xml")
    xsd.validate(xsd.schema(xsd.DATACITE_XSD), response.content)


def test_quality_values_decide_between_formats(client, publication):
    accept = "application/x-bibtex;q=0.5, application/x-research-info-systems"
    response = landing(client, publication.doi, accept)
    assert response["Content-Type"].startswith("application/x-research-info-systems")


def test_plain_ld_json_gets_schemaorg(client, publication):
    response = landing(client, publication.doi, "application/ld+json")
    assert response["Content-Type"].startswith("application/vnd.schemaorg.ld+json")
    assert json.loads(response.content)["@id"] == f"https://doi.org/{publication.doi}"


@pytest.mark.parametrize("accept", [None, "*/*", "image/png", BROWSER])
def test_html_is_the_default_for_browsers_and_unknown_types(client, publication, accept):
    response = landing(client, publication.doi, accept)
    assert response["Content-Type"] == "text/html; charset=utf-8"


def test_signposting_links_cite_the_doi_and_describe_the_formats(client, publication):
    links = landing(client, publication.doi)["Link"]
    assert f'<https://doi.org/{publication.doi}>; rel="cite-as"' in links
    datacite_xml = f"/export/doi/{publication.doi}.datacite.xml>"
    media_type = "application/vnd.datacite.datacite+xml"
    assert f'{datacite_xml}; rel="describedby"; type="{media_type}"' in links
    assert 'rel="license"' in links and 'rel="item"' in links


def test_doi_lookup_ignores_case(client, publication):
    assert landing(client, publication.doi.upper()).status_code == 200


def test_unknown_doi_is_404(client, db):
    assert landing(client, "10.17199/nothing-here").status_code == 404


def test_unregistered_publication_is_hidden_from_anonymous_users(client, db):
    item = publish(register=False)
    assert landing(client, item.doi).status_code == 404


def test_signed_in_users_preview_an_unregistered_publication_marked_noindex(client, owner):
    item = publish(register=False)
    client.force_login(owner)
    response = landing(client, item.doi)
    assert response.status_code == 200
    page = html.fromstring(response.content)
    assert page.xpath('//meta[@name="robots"]/@content') == ["noindex"]


def test_withdrawn_publication_answers_a_tombstone_with_410(client, publication):
    withdraw(publication)
    response = landing(client, publication.doi)
    assert response.status_code == 410
    text = response.content.decode()
    assert "withdrawn" in text and "2027-01-02" in text and "Duplicate of another record" in text
    assert "application/ld+json" not in text
    assert f'<https://doi.org/{publication.doi}>; rel="cite-as"' == response["Link"]


def test_withdrawn_publication_is_gone_in_every_format(client, publication):
    withdraw(publication)
    negotiated = landing(client, publication.doi, "application/vnd.datacite.datacite+xml")
    exported = client.get(f"/export/doi/{publication.doi}.bib")
    assert (negotiated.status_code, exported.status_code) == (410, 410)


def test_export_urls_give_one_format_without_negotiation(client, publication):
    response = client.get(f"/export/doi/{publication.doi}.bib", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response.content.startswith(f"@misc{{{publication.doi},".encode())


def test_unknown_export_extension_is_404(client, publication):
    assert client.get(f"/export/doi/{publication.doi}.pdf").status_code == 404


def test_incomplete_metadata_is_not_acceptable_and_says_what_is_missing(client, db):
    item = publish(metadata={"publisher": "ESS"})
    response = landing(client, item.doi, "application/vnd.datacite.datacite+xml")
    assert response.status_code == 406
    assert b"missing mandatory DataCite properties: creators" in response.content
    assert landing(client, item.doi).status_code == 200


def test_public_dataset_exports_validate(client, db):
    xsd.require_schemas()
    dataset = make_dataset(pid="10.5281/zenodo.42.x", embargo_end="2020-01-01T00:00:00Z")
    response = client.get(f"/export/datasets/{dataset.pid}.datacite.xml")
    assert response.status_code == 200
    root = xsd.validate(xsd.schema(xsd.DATACITE_XSD), response.content)
    identifier = root.find("{http://datacite.org/schema/kernel-4}identifier")
    assert (identifier.get("identifierType"), identifier.text) == ("DOI", dataset.pid)
    jsonld = client.get(f"/export/datasets/{dataset.pid}.jsonld")
    assert json.loads(jsonld.content)["name"] == dataset.dataset_name


def test_private_and_embargoed_datasets_are_not_exported(client, owner, db):
    private = make_dataset()
    client.force_login(owner)
    assert client.get(f"/export/datasets/{private.pid}.jsonld").status_code == 404
    dataset_update(user=SYSTEM, dataset=private, changes={"is_published": True})
    assert client.get(f"/export/datasets/{private.pid}.jsonld").status_code == 200


def test_xml_exports_parse_as_xml(client, publication):
    body = client.get(f"/export/doi/{publication.doi}.datacite.xml").content
    assert etree.fromstring(body).tag == "{http://datacite.org/schema/kernel-4}resource"
