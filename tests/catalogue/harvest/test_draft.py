"""DatasetDraft and the shared value helpers; the draft's data is accepted by dataset_create."""

import json

import numpy as np
import pytest

from catalogue.harvest import nexus
from catalogue.harvest.draft import (
    DatasetDraft,
    as_text,
    clean_unit,
    is_placeholder,
    json_value,
    mjd_to_iso,
    parse_time,
)
from catalogue.harvest.techniques import known_definitions, technique_for
from catalogue.models import Dataset
from catalogue.services.datasets import DATASET_FIELDS, dataset_create


@pytest.mark.parametrize(
    "raw",
    [
        b"Run A",
        np.bytes_(b"Run A\x00\x00"),
        "Run A  ",
        np.array([b"Run A"]),
        np.array(b"Run A", dtype="S8"),
        ["Run A"],
        np.array(["Run A"], dtype=object),
    ],
)
def test_as_text_unwraps_every_string_layout(raw):
    assert as_text(raw) == "Run A"


def test_as_text_repairs_invalid_utf8_as_latin1():
    assert as_text(b"\xb5m") == "µm"
    assert as_text("\udcb5m") == "µm"  # h5py's surrogateescape form of the same bytes


def test_as_text_of_numbers_and_non_text():
    assert as_text(np.int32(3701)) == "3701"
    assert as_text(np.array([1, 2])) == ""
    assert as_text(None) == ""


@pytest.mark.parametrize("text", ["", "  ", "UNKNOWN", "n/a", "{File name of original NeXus file}"])
def test_placeholders_are_recognised(text):
    assert is_placeholder(text)


def test_real_values_are_not_placeholders():
    assert not is_placeholder("Default proposal 7")


def test_json_value_makes_numpy_values_strict_json():
    value = json_value(np.array([1.5, np.nan, np.inf], dtype="f4"))

    assert value == [1.5, None, None]
    assert json_value(np.float32(0.5)) == 0.5 and isinstance(json_value(np.int64(2)), int)
    json.dumps(value, allow_nan=False)


@pytest.mark.parametrize(
    ("raw", "field", "expected"),
    [
        ("NX_LENGTH", "", ("", "NX_LENGTH")),
        (" ", "", ("", "")),
        ("μm", "", ("um", "μm")),
        ("Angstroem", "", ("angstrom", "Angstroem")),
        ("A", "wavelength", ("angstrom", "A")),
        ("A", "ring_current", ("A", "")),
        ("microseconds", "", ("us", "microseconds")),
        (np.array([b"K"]), "", ("K", "")),
    ],
)
def test_clean_unit(raw, field, expected):
    assert clean_unit(raw, field) == expected


def test_parse_time_reports_naive_and_unreadable():
    assert parse_time("2024-01-01T00:00:00+0100") == ("2023-12-31T23:00:00+00:00", "")
    assert parse_time("2024-01-01 12:00 UTC") == ("2024-01-01T12:00:00+00:00", "")
    assert parse_time("07-Feb-2001 08:54:21") == ("2001-02-07T08:54:21", "no time zone")
    assert parse_time("soon") == ("", "unreadable")
    assert parse_time(b"") == ("", "")


def test_mjd_conversion():
    assert mjd_to_iso(51544.5) == "2000-01-01T12:00:00+00:00"
    assert mjd_to_iso("not a number") == ""


def test_to_dataset_data_uses_only_dataset_fields_and_drops_empties():
    draft = DatasetDraft(
        data_format="FITS", dataset_name="M 51", proposal_id="P1", owner_email="nope"
    )
    draft.add_keywords("M 51", "M 51", "", "UNKNOWN")

    data = draft.to_dataset_data()

    assert set(data) <= DATASET_FIELDS
    assert data["proposal_ids"] == ["P1"]
    assert data["keywords"] == ["M 51"]
    assert "owner_email" not in data  # not an e-mail address
    assert "start_time" not in data


def test_sample_and_instrument_data_for_their_services():
    draft = DatasetDraft(data_format="NeXus")
    draft.sample = {
        "name": "MgB2",
        "sample_characteristics": {"temperature": {"value": 8.0, "unit": "K"}},
    }
    draft.instrument = {"name": "LRMECS", "source": {"name": "IPNS"}}

    assert draft.to_sample_data() == {
        "description": "MgB2",
        "sample_characteristics": {
            "temperature": {"value": 8.0, "unit": "K"},
            "name": {"value": "MgB2"},
        },
    }
    assert draft.to_instrument_data() == {
        "name": "LRMECS",
        "unique_name": "LRMECS",
        "custom_metadata": {"source": {"name": "IPNS"}},
    }
    assert DatasetDraft(data_format="FITS").to_instrument_data() == {}


def test_dataset_create_accepts_a_nexus_draft(basic_nexus, owner):
    draft = nexus.extract(basic_nexus)
    data = {
        **draft.to_dataset_data(),
        "owner_group": "p-owner",
        "owner": draft.owner or "olivia",
        "contact_email": draft.contact_email or "olivia@example.org",
    }

    dataset = dataset_create(user=owner, data=data)

    stored = Dataset.objects.get(pk=dataset.pk)
    assert stored.dataset_name == "Lysozyme 100K"
    assert stored.start_time.isoformat() == "2024-03-01T09:00:00+00:00"
    assert stored.techniques[0]["name"] == "macromolecular crystallography"
    detector = stored.scientific_metadata["entries"]["entry"]["instrument/detector/distance"]
    assert detector["unitSI"] == "m"  # the service annotated the extracted quantity


def test_technique_table_entries_are_panet_terms():
    for definition in known_definitions():
        technique = technique_for(definition)
        assert technique["pid"].startswith("http://purl.org/pan-science/PaNET/PaNET0")
        assert len(technique["pid"].rsplit("PaNET", 1)[1]) == 5
        assert technique["name"]


@pytest.mark.parametrize(
    ("definition", "probe", "pid"),
    [
        ("NXmx", "", "PaNET01164"),
        ("nxmx", "x-ray", "PaNET01164"),
        ("NXsas", "neutron", "PaNET01189"),
        ("NXsas", "x-rays", "PaNET01188"),
        ("NXsas", "muon", "PaNET01124"),
        ("NXtomo", "x-ray", "PaNET01207"),
    ],
)
def test_definition_and_probe_pick_the_technique(definition, probe, pid):
    assert technique_for(definition, probe)["pid"].endswith(pid)


def test_unknown_definition_has_no_technique():
    assert technique_for("NXmy_own_thing") is None
    assert technique_for("") is None
