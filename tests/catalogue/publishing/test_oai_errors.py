"""Every OAI-PMH error code, with HTTP 200 and a reply that validates against OAI-PMH.xsd."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import signing

from catalogue.publishing.oai import tokens
from tests.catalogue.publishing.conftest import publish
from tests.catalogue.publishing.oai_helpers import OAI, error_codes, oai, oai_id

LIST = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"verb": "Harvest"},
        {"verb": "identify"},
        {"verb": ["Identify", "Identify"]},
    ],
    ids=["missing", "unknown", "wrong-case", "repeated"],
)
def test_bad_verb(client, db, params):
    root = oai(client, **params)
    assert error_codes(root) == ["badVerb"]
    assert root.find(f"{OAI}request").attrib == {}


@pytest.mark.parametrize(
    "params",
    [
        {"verb": "Identify", "metadataPrefix": "oai_dc"},
        {"verb": "ListRecords"},
        {"verb": "GetRecord", "metadataPrefix": "oai_dc"},
        {**LIST, "metadataPrefix": ["oai_dc", "oai_datacite"]},
        {**LIST, "metadataPrefix": ""},
        {**LIST, "metadataPrefix": "oai dc"},
        {**LIST, "from_": "2025-01-01T00:00:00"},
        {**LIST, "from_": "2025-13-01"},
        {**LIST, "until": "2025-01-01 12:00"},
        {**LIST, "from_": "2025-01-01", "until": "2025-01-02T00:00:00Z"},
        {**LIST, "from_": "2025-01-03", "until": "2025-01-02"},
        {**LIST, "set": "facility/ESS"},
        {"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"},
        {"verb": "ListSets", "set": "facility:ESS"},
    ],
    ids=[
        "argument-not-allowed",
        "required-missing",
        "identifier-missing",
        "repeated",
        "empty",
        "prefix-syntax",
        "datetime-without-z",
        "impossible-date",
        "not-utc-format",
        "granularities-differ",
        "from-after-until",
        "set-syntax",
        "token-not-exclusive",
        "set-on-listsets",
    ],
)
def test_bad_argument(client, publication, params):
    root = oai(client, **params)
    assert error_codes(root) == ["badArgument"]
    assert root.find(f"{OAI}request").attrib == {}


def test_bad_resumption_token_when_garbled(client, db):
    root = oai(client, verb="ListRecords", resumptionToken="not-a-token")
    assert error_codes(root) == ["badResumptionToken"]
    assert root.find(f"{OAI}request").get("resumptionToken") == "not-a-token"


def test_bad_resumption_token_when_signed_with_another_key(client, db):
    state = {"verb": "ListRecords", "prefix": "oai_dc", "cursor": 0, "after": None, "exp": 2**40}
    forged = signing.dumps(state, key="not-the-site-key", salt=tokens.SALT)
    assert error_codes(oai(client, verb="ListRecords", resumptionToken=forged)) == [
        "badResumptionToken"
    ]


def test_bad_resumption_token_when_issued_for_another_verb(client, db):
    token, _ = tokens.issue({"verb": "ListIdentifiers", "prefix": "oai_dc", "cursor": 0})
    root = oai(client, verb="ListRecords", resumptionToken=token)
    assert error_codes(root) == ["badResumptionToken"]
    assert error_codes(oai(client, verb="ListSets", resumptionToken=token)) == [
        "badResumptionToken"
    ]


def test_bad_resumption_token_when_expired(client, db, settings):
    settings.OAI_TOKEN_TTL_SECONDS = 60
    issued = datetime.now(tz=UTC) - timedelta(seconds=61)
    state = {"verb": "ListRecords", "prefix": "oai_dc", "cursor": 0, "after": None}
    token, expires = tokens.issue(state, now=issued)
    assert expires < datetime.now(tz=UTC)
    root = oai(client, verb="ListRecords", resumptionToken=token)
    assert error_codes(root) == ["badResumptionToken"]
    assert "expired" in root.findtext(f"{OAI}error")
    fresh, _ = tokens.issue(state)
    assert tokens.read(fresh, "ListRecords")["prefix"] == "oai_dc"


@pytest.mark.parametrize("verb", ["ListRecords", "ListIdentifiers"])
def test_cannot_disseminate_an_unknown_format(client, publication, verb):
    root = oai(client, verb=verb, metadataPrefix="marc21")
    assert error_codes(root) == ["cannotDisseminateFormat"]
    assert root.find(f"{OAI}request").get("metadataPrefix") == "marc21"


def test_cannot_disseminate_datacite_for_a_record_datacite_would_refuse(client, db):
    item = publish(metadata={"publisher": "ESS"})
    root = oai(client, verb="GetRecord", identifier=oai_id(item.doi), metadataPrefix="oai_datacite")
    assert error_codes(root) == ["cannotDisseminateFormat"]
    listed = oai(client, verb="ListRecords", metadataPrefix="oai_datacite")
    assert error_codes(listed) == ["noRecordsMatch"]


@pytest.mark.parametrize("verb", ["GetRecord", "ListMetadataFormats"])
def test_id_does_not_exist(client, publication, verb):
    extra = {"metadataPrefix": "oai_dc"} if verb == "GetRecord" else {}
    for identifier in (oai_id("10.17199/unknown"), "oai:elsewhere.org:" + publication.doi):
        root = oai(client, verb=verb, identifier=identifier, **extra)
        assert error_codes(root) == ["idDoesNotExist"]


def test_no_records_match(client, publication):
    root = oai(client, **LIST, from_="2999-01-01")
    assert error_codes(root) == ["noRecordsMatch"]
    assert error_codes(oai(client, **LIST, set="instrument:nowhere")) == ["noRecordsMatch"]


def test_no_records_match_in_an_empty_repository(client, db):
    assert error_codes(oai(client, **LIST)) == ["noRecordsMatch"]


def test_no_metadata_formats_for_a_withdrawn_item(client, publication):
    publication.withdrawn_at = datetime.now(tz=UTC)
    publication.save()
    root = oai(client, verb="ListMetadataFormats", identifier=oai_id(publication.doi))
    assert error_codes(root) == ["noMetadataFormats"]


def test_no_set_hierarchy_when_sets_are_switched_off(client, publication, settings):
    settings.OAI_SETS = False
    assert error_codes(oai(client, verb="ListSets")) == ["noSetHierarchy"]
    assert error_codes(oai(client, **LIST, set="facility:ESS")) == ["noSetHierarchy"]
    root = oai(client, **LIST)
    assert root.find(f".//{OAI}setSpec") is None


def test_no_set_hierarchy_while_there_are_no_sets(client, db):
    assert error_codes(oai(client, verb="ListSets")) == ["noSetHierarchy"]


def test_errors_are_answered_to_post_as_to_get(client, db):
    assert error_codes(oai(client, "post", verb="Nope")) == ["badVerb"]
    assert error_codes(oai(client, "post", verb="ListRecords")) == ["badArgument"]


def test_other_http_methods_are_refused(client, db):
    assert client.put("/oai").status_code == 405
