"""Every metadata format, written from real publications and validated where a schema exists."""

import json
import re
from datetime import UTC, datetime

import pytest
from lxml import etree

from catalogue.access import SYSTEM
from catalogue.formats import bibtex, csljson, datacite, dublincore, ris, schemaorg
from catalogue.formats import vocabularies as vocab
from catalogue.formats.datacite import IncompleteMetadata
from catalogue.formats.elements import Person, Publisher, Title
from catalogue.formats.record import Record, dataset_record, publication_record
from catalogue.services.published import published_data_update
from tests.catalogue.publishing import xsd
from tests.catalogue.publishing.conftest import publish
from tests.factories import make_dataset

BASE = "https://catalogue.example.org"
DC = "{http://datacite.org/schema/kernel-4}"


@pytest.fixture
def record(publication):
    return publication_record(publication, base_url=BASE)


@pytest.fixture
def schemas():
    xsd.require_schemas()


def test_datacite_xml_of_a_publication_validates_against_kernel_4(schemas, record):
    root = xsd.validate(xsd.schema(xsd.DATACITE_XSD), datacite.to_xml(record))
    identifier = root.find(f"{DC}identifier")
    assert (identifier.get("identifierType"), identifier.text) == ("DOI", record.doi)
    assert root.find(f"{DC}resourceType").get("resourceTypeGeneral") == "Dataset"
    assert root.findtext(f"{DC}publicationYear") == "2026"
    assert root.findtext(f"{DC}publisher") == "ESS"


def test_datacite_creators_carry_orcid_and_ror(schemas, record):
    root = etree.fromstring(datacite.to_xml(record))
    ada = root.find(f"{DC}creators/{DC}creator")
    orcid = ada.find(f"{DC}nameIdentifier")
    assert (orcid.get("nameIdentifierScheme"), orcid.text) == (
        "ORCID",
        "https://orcid.org/0000-0002-1825-0097",
    )
    affiliation = ada.find(f"{DC}affiliation")
    assert affiliation.get("affiliationIdentifier") == "https://ror.org/03eh3y714"
    assert affiliation.get("affiliationIdentifierScheme") == "ROR"
    organisation = root.findall(f"{DC}creators/{DC}creator")[1].find(f"{DC}creatorName")
    assert organisation.get("nameType") == "Organizational"


def test_datacite_carries_rights_funding_relations_and_dates(record):
    root = etree.fromstring(datacite.to_xml(record))
    rights = root.find(f"{DC}rightsList/{DC}rights")
    assert (rights.get("rightsIdentifier"), rights.get("rightsIdentifierScheme")) == (
        "cc-by-4.0",
        "SPDX",
    )
    funder = root.find(f"{DC}fundingReferences/{DC}fundingReference")
    assert funder.find(f"{DC}funderIdentifier").get("funderIdentifierType") == "ROR"
    assert funder.find(f"{DC}awardNumber").get("awardURI") == "https://cordis.europa.eu/"
    relations = {
        (r.get("relationType"), r.get("relatedIdentifierType"), r.text)
        for r in root.iter(f"{DC}relatedIdentifier")
    }
    assert ("IsSupplementTo", "DOI", "10.1000/journal.1") in relations
    assert ("HasPart", "URL", record.parts[0].url) in relations
    dates = {d.get("dateType"): d.text for d in root.iter(f"{DC}date")}
    assert dates["Collected"] == "2025-11-01/2025-11-03"
    assert dates["Issued"] == record.issued


def test_datacite_json_validates_against_the_official_json_schema(schemas, record):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(xsd.DATACITE_JSON_SCHEMA.read_text())
    document = json.loads(datacite.to_json_bytes(record))
    errors = sorted(e.message for e in jsonschema.Draft7Validator(schema).iter_errors(document))
    assert errors == []
    assert document["identifiers"] == [{"identifier": record.doi, "identifierType": "DOI"}]


def test_rest_attributes_carry_the_validated_xml_in_base64(record):
    attributes = datacite.rest_attributes(record, event="publish")
    assert (attributes["doi"], attributes["url"], attributes["event"]) == (
        record.doi,
        f"{BASE}/doi/{record.doi}",
        "publish",
    )
    assert attributes["xml"] and "<" not in attributes["xml"]


def _bare(**overrides) -> Record:
    values = {"kind": "publication", "identifier": "10.1/x", "identifier_type": "DOI", "url": BASE}
    return Record(**{**values, "resource_type_general": "", **overrides})


def test_missing_mandatory_properties_are_listed_in_one_clear_error():
    with pytest.raises(IncompleteMetadata) as caught:
        datacite.to_xml(_bare())
    assert caught.value.missing == [
        "creators",
        "titles",
        "publisher",
        "publicationYear",
        "resourceType",
    ]
    assert "missing mandatory DataCite properties: creators, titles" in str(caught.value)


def test_values_outside_the_datacite_lists_are_refused_before_datacite_sees_them():
    record = _bare(
        creators=(Person("Ada"),),
        titles=(Title("T", type="Headline"),),
        publisher=Publisher("ESS"),
        publication_year="26",
        resource_type_general="Spreadsheet",
    )
    with pytest.raises(IncompleteMetadata) as caught:
        datacite.to_json(record)
    assert caught.value.missing == []
    assert any("publicationYear" in line for line in caught.value.invalid)
    assert any("'Spreadsheet'" in line for line in caught.value.invalid)
    assert any("'Headline'" in line for line in caught.value.invalid)


def test_a_registered_publication_without_creators_reports_them_missing(db):
    record = publication_record(publish(metadata={"publisher": "ESS"}), base_url=BASE)
    assert datacite.problems(record) == ["missing mandatory DataCite properties: creators"]


def test_markup_and_control_characters_in_values_stay_text(schemas, db):
    title = 'Welds <script>alert("x")</script> & \x07bells'
    item = publish(title=title)
    xml = datacite.to_xml(publication_record(item, base_url=BASE))
    root = xsd.validate(xsd.schema(xsd.DATACITE_XSD), xml)
    assert root.findtext(f"{DC}titles/{DC}title") == 'Welds <script>alert("x")</script> & bells'
    assert b"<script>" not in xml


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("resourceType", vocab.RESOURCE_TYPES_GENERAL),
        ("relationType", vocab.RELATION_TYPES),
        ("relatedIdentifierType", vocab.RELATED_IDENTIFIER_TYPES),
        ("contributorType", vocab.CONTRIBUTOR_TYPES),
        ("dateType", vocab.DATE_TYPES),
        ("descriptionType", vocab.DESCRIPTION_TYPES),
        ("funderIdentifierType", vocab.FUNDER_IDENTIFIER_TYPES),
        ("titleType", vocab.TITLE_TYPES),
    ],
)
def test_controlled_lists_match_the_official_schema(schemas, name, values):
    path = xsd.DATACITE_XSD.parent / "include" / f"datacite-{name}-v4.xsd"
    enumerations = etree.parse(str(path)).iter("{http://www.w3.org/2001/XMLSchema}enumeration")
    assert sorted(values) == sorted(e.get("value") for e in enumerations)


def test_oai_dc_validates_and_carries_doi_and_licence(schemas, record):
    root = xsd.validate(xsd.schema(xsd.OAI_DIR / "oai_dc.xsd"), dublincore.to_xml(record))
    dc = "{http://purl.org/dc/elements/1.1/}"
    identifiers = [e.text for e in root.iter(f"{dc}identifier")]
    assert f"https://doi.org/{record.doi}" in identifiers
    rights = [e.text for e in root.iter(f"{dc}rights")]
    assert "https://creativecommons.org/licenses/by/4.0/legalcode" in rights
    assert "info:eu-repo/semantics/openAccess" in rights
    assert [e.text for e in root.iter(f"{dc}creator")] == [
        "Lovelace, Ada",
        "European Spallation Source",
    ]


def test_schemaorg_names_the_dataset_its_creators_and_licence(record):
    data = schemaorg.to_jsonld(record)
    assert (data["@context"], data["@type"]) == ("https://schema.org", "Dataset")
    assert data["@id"] == data["identifier"] == f"https://doi.org/{record.doi}"
    assert data["name"] == record.title and data["description"] == record.abstract
    ada = data["creator"][0]
    assert (ada["@type"], ada["@id"]) == ("Person", "https://orcid.org/0000-0002-1825-0097")
    assert ada["affiliation"][0]["@id"] == "https://ror.org/03eh3y714"
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/legalcode"
    assert data["isAccessibleForFree"] is True
    assert data["measurementTechnique"] == ["http://purl.org/pan-science/PaNET/PaNET01188"]
    assert data["hasPart"][0]["identifier"] == record.parts[0].pid


def test_bibtex_escapes_latex_and_keeps_organisations_whole(db):
    item = publish(title="50% of {x} & y_z \\ #1")
    entry = bibtex.to_bibtex(publication_record(item, base_url=BASE))
    assert entry.startswith(f"@misc{{{item.doi},")
    assert r"title = {50\% of \{x\} \& y\_z \textbackslash{} \#1}" in entry
    assert "author = {Lovelace, Ada and {European Spallation Source}}" in entry
    assert entry.count("{") == entry.count("}")


def test_ris_has_one_tag_per_line_from_ty_to_er(record):
    text = ris.to_ris(record)
    lines = text.split("\r\n")
    assert lines[0] == "TY  - DATA" and lines[-2] == "ER  - " and lines[-1] == ""
    assert all(re.fullmatch(r"[A-Z][A-Z0-9]  - .*", line) for line in lines[:-1])
    assert f"DO  - {record.doi}" in lines
    assert "AU  - Lovelace, Ada" in lines


def test_csl_json_is_a_dataset_item_with_split_names(record):
    item = csljson.to_csl(record)
    assert (item["type"], item["DOI"]) == ("dataset", record.doi)
    assert item["author"] == [
        {"family": "Lovelace", "given": "Ada"},
        {"literal": "European Spallation Source"},
    ]
    assert item["issued"]["date-parts"][0][0] == int(record.issued[:4])


def test_private_datasets_of_a_publication_stay_out_of_its_record(publication):
    private = make_dataset()
    published_data_update(
        user=SYSTEM,
        record=publication,
        changes={"dataset_pids": [*publication.dataset_pids, private.pid]},
    )
    record = publication_record(publication, base_url=BASE)
    assert [part.pid for part in record.parts] == publication.dataset_pids[:1]
    assert private.pid not in datacite.to_xml(record).decode()
    assert private.pid not in json.dumps(schemaorg.to_jsonld(record))


def test_a_public_dataset_record_validates_and_links_its_publication(schemas, publication):
    dataset = make_dataset(
        pid="20.500.12345/run-7",
        owner="Ada Lovelace",
        principal_investigators=["Ada Lovelace", "Grace Hopper"],
        orcid_of_owner="0000-0002-1825-0097",
        embargo_end="2020-01-01T00:00:00Z",
        start_time="2019-03-01T08:00:00Z",
        end_time="2019-03-02T08:00:00Z",
    )
    published_data_update(
        user=SYSTEM,
        record=publication,
        changes={"dataset_pids": [*publication.dataset_pids, dataset.pid]},
    )
    record = dataset_record(dataset, base_url=BASE)
    root = xsd.validate(xsd.schema(xsd.DATACITE_XSD), datacite.to_xml(record))
    assert root.find(f"{DC}identifier").get("identifierType") == "Handle"
    assert record.creators[0].orcid == "https://orcid.org/0000-0002-1825-0097"
    assert {(d.type, d.value) for d in record.dates} >= {
        ("Available", "2020-01-01"),
        ("Collected", "2019-03-01/2019-03-02"),
    }
    relations = {(r.relation_type, r.identifier) for r in record.related}
    assert ("IsPartOf", publication.doi) in relations
    assert record.rights[0].identifier == "cc-by-4.0"


def test_withdrawn_publications_carry_a_withdrawn_date(publication):
    publication.withdrawn_at = datetime(2027, 2, 3, tzinfo=UTC)
    publication.save()
    record = publication_record(publication, base_url=BASE)
    assert ("Withdrawn", "2027-02-03") in {(d.type, d.value) for d in record.dates}
