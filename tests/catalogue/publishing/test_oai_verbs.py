"""OAI-PMH verbs against the Django view: content, sets, dates, deletions, visibility."""

from datetime import UTC, datetime

import pytest

from catalogue.access import SYSTEM
from catalogue.models import PublishedData
from catalogue.services.published import published_data_update
from tests.catalogue.publishing.conftest import publish
from tests.catalogue.publishing.oai_helpers import OAI, error_codes, identifiers, oai, oai_id
from tests.factories import make_dataset

DC = "{http://purl.org/dc/elements/1.1/}"
DATACITE = "{http://datacite.org/schema/kernel-4}"


def stamp(item, moment: str) -> None:
    """Sets the datestamp (updated_at) of `item`, as a change at that moment would."""
    when = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    PublishedData.objects.filter(pk=item.pk).update(updated_at=when)


def test_identify_declares_granularity_deletions_and_identifiers(client, publication, settings):
    settings.OAI_ADMIN_EMAILS = "data@example.org, oai@example.org"
    stamp(publication, "2025-03-04T05:06:07.891")
    root = oai(client, verb="Identify")
    identify = root.find(f"{OAI}Identify")
    assert identify.findtext(f"{OAI}baseURL") == "http://testserver/oai"
    assert identify.findtext(f"{OAI}protocolVersion") == "2.0"
    assert identify.findtext(f"{OAI}granularity") == "YYYY-MM-DDThh:mm:ssZ"
    assert identify.findtext(f"{OAI}deletedRecord") == "persistent"
    assert identify.findtext(f"{OAI}earliestDatestamp") == "2025-03-04T05:06:07Z"
    emails = [e.text for e in identify.iter(f"{OAI}adminEmail")]
    assert emails == ["data@example.org", "oai@example.org"]
    assert root.find(f"{OAI}request").attrib == {"verb": "Identify"}


def test_list_metadata_formats_offers_oai_dc_and_oai_datacite(client, publication):
    root = oai(client, verb="ListMetadataFormats")
    prefixes = [e.text for e in root.iter(f"{OAI}metadataPrefix")]
    assert prefixes == ["oai_dc", "oai_datacite"]
    one = oai(client, verb="ListMetadataFormats", identifier=oai_id(publication.doi))
    assert [e.text for e in one.iter(f"{OAI}metadataPrefix")] == ["oai_dc", "oai_datacite"]


def test_a_record_datacite_would_refuse_is_offered_as_oai_dc_only(client, db):
    item = publish(metadata={"publisher": "ESS"})
    root = oai(client, verb="ListMetadataFormats", identifier=oai_id(item.doi))
    assert [e.text for e in root.iter(f"{OAI}metadataPrefix")] == ["oai_dc"]


def test_list_sets_names_facilities_and_instruments(client, publication):
    root = oai(client, verb="ListSets")
    specs = {
        s.findtext(f"{OAI}setSpec"): s.findtext(f"{OAI}setName") for s in root.iter(f"{OAI}set")
    }
    assert specs == {"facility:ESS": "Facility ESS", "instrument:LoKI": "Instrument LoKI"}


@pytest.mark.parametrize("prefix", ["oai_dc", "oai_datacite"])
def test_get_record_disseminates_both_formats(client, publication, prefix):
    root = oai(client, verb="GetRecord", identifier=oai_id(publication.doi), metadataPrefix=prefix)
    header = root.find(f".//{OAI}header")
    assert header.findtext(f"{OAI}identifier") == oai_id(publication.doi)
    assert [e.text for e in header.iter(f"{OAI}setSpec")] == ["facility:ESS", "instrument:LoKI"]
    metadata = root.find(f".//{OAI}metadata")
    if prefix == "oai_dc":
        assert metadata.findtext(f".//{DC}title") == publication.title
    else:
        assert metadata.findtext(f".//{DATACITE}identifier") == publication.doi


def test_list_records_and_identifiers_agree(client, publication):
    other = publish()
    records = oai(client, verb="ListRecords", metadataPrefix="oai_datacite")
    headers = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    expected = sorted(oai_id(d) for d in (publication.doi, other.doi))
    assert sorted(identifiers(records)) == sorted(identifiers(headers)) == expected
    assert headers.find(f".//{OAI}resumptionToken") is None


def test_post_answers_as_get(client, publication):
    got = oai(client, verb="ListRecords", metadataPrefix="oai_dc")
    posted = oai(client, "post", verb="ListRecords", metadataPrefix="oai_dc")
    assert identifiers(posted) == identifiers(got) == [oai_id(publication.doi)]
    assert posted.find(f"{OAI}request").attrib == got.find(f"{OAI}request").attrib


@pytest.mark.parametrize(
    ("spec", "found"),
    [("facility:ESS", True), ("instrument:LoKI", True), ("facility:ILL", False)],
)
def test_sets_select_publications_by_their_public_datasets(client, publication, spec, found):
    publish()  # a publication with no instrument
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set=spec)
    if found:
        assert identifiers(root) == [oai_id(publication.doi)]
    else:
        assert error_codes(root) == ["noRecordsMatch"]


def test_set_names_with_any_characters_round_trip(client, db):
    from catalogue.services import instrument_create

    name = "D22: small~angle / ÅR"
    instrument_create(user=SYSTEM, data={"pid": "ill/d22", "name": name, "facility": "ILL"})
    item = publish(datasets=[make_dataset(instrument_ids=["ill/d22"])])
    sets = oai(client, verb="ListSets")
    spec = next(e.text for e in sets.iter(f"{OAI}setSpec") if e.text.startswith("instrument:"))
    assert spec == "instrument:D22~3A~20small~7Eangle~20~2F~20~C3~85R"
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set=spec)
    assert identifiers(root) == [oai_id(item.doi)]


def test_from_and_until_are_inclusive_at_both_granularities(client, db):
    early, middle, late = publish(), publish(), publish()
    stamp(early, "2025-01-01T23:59:59.500")
    stamp(middle, "2025-01-02T12:00:00")
    stamp(late, "2025-01-03T00:00:00")

    def between(**bounds):
        root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **bounds)
        return identifiers(root) or error_codes(root)

    assert between(from_="2025-01-02", until="2025-01-02") == [oai_id(middle.doi)]
    assert between(until="2025-01-01T23:59:59Z") == [oai_id(early.doi)]
    assert between(from_="2025-01-02T12:00:00Z", until="2025-01-03T00:00:00Z") == [
        oai_id(middle.doi),
        oai_id(late.doi),
    ]
    assert between(from_="2025-01-03T00:00:01Z") == ["noRecordsMatch"]


def test_datestamps_are_utc_seconds(client, publication):
    stamp(publication, "2025-06-01T12:00:00.999")
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert root.findtext(f".//{OAI}datestamp") == "2025-06-01T12:00:00Z"
    assert root.findtext(f"{OAI}responseDate").endswith("Z")


def test_withdrawn_publications_stay_as_deleted_records(client, publication):
    publication.withdrawn_at = datetime.now(tz=UTC)
    publication.save()
    for verb in ("ListRecords", "ListIdentifiers"):
        root = oai(client, verb=verb, metadataPrefix="oai_datacite")
        header = root.find(f".//{OAI}header")
        assert header.get("status") == "deleted"
        assert identifiers(root) == [oai_id(publication.doi)]
        assert root.find(f".//{OAI}metadata") is None
    one = oai(client, verb="GetRecord", identifier=oai_id(publication.doi), metadataPrefix="oai_dc")
    assert one.find(f".//{OAI}header").get("status") == "deleted"
    assert one.find(f".//{OAI}metadata") is None


def test_unregistered_publications_never_appear(client, publication):
    hidden = publish(register=False)
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    assert identifiers(root) == [oai_id(publication.doi)]
    one = oai(client, verb="GetRecord", identifier=oai_id(hidden.doi), metadataPrefix="oai_dc")
    assert error_codes(one) == ["idDoesNotExist"]


def test_private_and_embargoed_datasets_never_appear(client, publication, instrument):
    embargoed = make_dataset(instrument_ids=[instrument.pid], embargo_end="2099-01-01T00:00:00Z")
    released = make_dataset(embargo_end="2020-01-01T00:00:00Z")
    item = publish(datasets=[make_dataset()])
    published_data_update(
        user=SYSTEM,
        record=item,
        changes={"dataset_pids": [*item.dataset_pids, embargoed.pid, released.pid]},
    )
    bodies = [
        client.get("/oai", {"verb": "ListRecords", "metadataPrefix": prefix}).content
        for prefix in ("oai_dc", "oai_datacite")
    ]
    assert all(embargoed.pid.encode() not in body for body in bodies)
    assert all(released.pid.encode() in body for body in bodies)
    by_instrument = oai(
        client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="instrument:LoKI"
    )
    assert identifiers(by_instrument) == [oai_id(publication.doi)]
