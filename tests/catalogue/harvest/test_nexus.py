"""NeXus extractor, mapping and decoding: entries, strings, units, times, users (formats.md §1)."""

import h5py
import numpy as np
import pytest

from catalogue.harvest import nexus
from catalogue.harvest.draft import ExtractionError

from .conftest import basic_entry, nx_group


def entry_meta(draft, entry="entry"):
    return draft.scientific_metadata["entries"][entry]


def test_well_formed_file_maps_to_catalogue_fields(basic_nexus):
    draft = nexus.extract(basic_nexus)

    assert draft.data_format == "NeXus"
    assert draft.dataset_name == "Lysozyme 100K"
    assert draft.proposal_id == "20241234"
    assert draft.run_number == "4711"
    assert draft.start_time == "2024-03-01T09:00:00+00:00"
    assert draft.end_time == "2024-03-01T10:30:00+00:00"
    assert draft.creation_location == "BL13 XALOC"
    assert draft.instrument["source"] == {
        "name": "ALBA",
        "type": "Synchrotron X-ray Source",
        "probe": "x-ray",
    }
    assert draft.techniques == [
        {
            "pid": "http://purl.org/pan-science/PaNET/PaNET01164",
            "name": "macromolecular crystallography",
        }
    ]
    assert draft.sample["sample_characteristics"]["temperature"] == {"value": 100.0, "unit": "K"}
    assert "C613H959N193O185S10" in draft.keywords
    assert draft.preview_source == "/entry/data/data"
    assert draft.warnings == []


def test_wavelength_in_A_means_angstrom_and_is_summarised(basic_nexus):
    draft = nexus.extract(basic_nexus)

    wavelength = draft.scientific_metadata["monochromator"]["wavelength"]
    assert wavelength == {"value": 0.979, "unit": "angstrom", "unit_raw": "A"}


def test_large_dataset_is_described_not_read(basic_nexus):
    meta = entry_meta(nexus.extract(basic_nexus))

    assert meta["instrument/detector/data"] == {"shape": [12, 20], "dtype": "uint16"}
    assert meta["data/data"] == {"link": "/entry/instrument/detector/data"}


def test_entries_are_found_by_nx_class_whatever_their_name_or_attribute_layout(nexus_file):
    def build(f):
        nx_group(f, "Histogram1", "NXentry", title="as str")
        nx_group(f, "Scan 1.2", np.bytes_(b"NXentry"), title="as bytes")
        nx_group(f, "weird", np.array([b"NXentry"]), title="as array")
        nx_group(f, "entry", "NXcollection", title="not an entry")

    draft = nexus.extract(nexus_file(build))

    assert sorted(draft.scientific_metadata["nexus"]["entries"]) == [
        "Histogram1",
        "Scan 1.2",
        "weird",
    ]
    assert "Scan 1_2" in draft.scientific_metadata["entries"]  # dots would break SciCat keys


def test_root_default_attribute_picks_the_primary_entry(nexus_file):
    def build(f):
        nx_group(f, "a_first", "NXentry", title="first by name")
        nx_group(f, "second", "NXentry", title="the default one")
        f.attrs["default"] = "second"

    assert nexus.extract(nexus_file(build)).dataset_name == "the default one"


def test_times_span_all_entries(nexus_file):
    def build(f):
        nx_group(
            f, "a", "NXentry", start_time="2024-01-02T00:00:00Z", end_time="2024-01-02T01:00:00Z"
        )
        nx_group(
            f, "b", "NXentry", start_time="2024-01-01T00:00:00Z", end_time="2024-01-03T00:00:00Z"
        )

    draft = nexus.extract(nexus_file(build))

    assert (draft.start_time, draft.end_time) == (
        "2024-01-01T00:00:00+00:00",
        "2024-01-03T00:00:00+00:00",
    )


def test_second_entry_named_link_reports_nexus_links_by_target(nexus_file):
    def build(f):
        basic_entry(f)
        link = nx_group(f, "link", "NXentry")
        f["entry/sample/temperature"].attrs["target"] = "/entry/sample/temperature"
        link["temperature"] = f["entry/sample/temperature"]  # a hard link, NeXus style

    draft = nexus.extract(nexus_file(build))

    assert entry_meta(draft, "link")["temperature"] == {"target": "/entry/sample/temperature"}
    assert entry_meta(draft)["sample/temperature"]["value"] == 100.0
    assert draft.dataset_name == "Lysozyme 100K"


def test_nexus_link_with_a_wrong_target_still_gets_its_value(nexus_file):
    def build(f):
        entry = nx_group(f, "entry", "NXentry", energy=12.4)
        entry["energy"].attrs["target"] = "/elsewhere/energy"

    assert entry_meta(nexus.extract(nexus_file(build)))["energy"]["value"] == 12.4


def test_template_placeholders_and_gda_default_proposal_are_not_mapped(nexus_file):
    def build(f):
        f.attrs["file_name"] = "{File name of original NeXus file}"
        f.attrs["file_time"] = "{Date and time of file creation}"
        nx_group(f, "entry", "NXentry", title="", experiment_identifier="DEFAULT")
        f["entry/end_time"] = "2020-05-05T05:05:05Z"

    path = nexus_file(build)
    draft = nexus.extract(path)

    assert draft.dataset_name == path.name
    assert draft.proposal_id == ""
    assert draft.creation_time == "2020-05-05T05:05:05+00:00"


def test_writer_file_name_is_kept_as_metadata_never_as_the_folder(nexus_file):
    def build(f):
        f.attrs["file_name"] = "C:/controls/data/2019/scan_0001.nxs"
        nx_group(f, "entry", "NXentry", title="t")

    path = nexus_file(build)
    draft = nexus.extract(path)

    assert draft.source_folder == str(path.parent)
    assert draft.files[0]["path"] == path.name
    assert draft.scientific_metadata["nexus"]["file"]["file_name"] == {
        "value": "C:/controls/data/2019/scan_0001.nxs"
    }


def test_instrument_without_name_falls_back_to_source_then_group_name(nexus_file):
    def build(f):
        entry = nx_group(f, "entry", "NXentry")
        nx_group(nx_group(entry, "instrument", "NXinstrument"), "source", "NXsource", name="ISIS")
        other = nx_group(f, "other", "NXentry")
        nx_group(other, "I22", "NXinstrument")

    assert nexus.extract(nexus_file(build)).creation_location == "ISIS"

    def build_bare(f):
        nx_group(nx_group(f, "entry", "NXentry"), "I22", "NXinstrument")

    assert nexus.extract(nexus_file(build_bare, name="bare.nxs")).creation_location == "I22"


def fixed_utf8(group, name, text):
    dset = group.create_dataset(name, shape=(1,), dtype=h5py.string_dtype("utf-8", 8))
    dset[0] = text.encode()


STRING_LAYOUTS = {
    "fixed ascii (1,)": lambda g: g.create_dataset("title", data=np.array([b"Run A"], dtype="S8")),
    "fixed ascii scalar": lambda g: g.create_dataset("title", data=np.bytes_(b"Run A")),
    "fixed nul padded": lambda g: g.create_dataset(
        "title", data=np.array(b"Run A\0\0\0", dtype="S8")
    ),
    "fixed space padded": lambda g: g.create_dataset(
        "title", data=np.array(b"Run A   ", dtype="S8")
    ),
    "vlen ascii (1,)": lambda g: g.create_dataset(
        "title", data=["Run A"], dtype=h5py.string_dtype("ascii")
    ),
    "vlen ascii scalar": lambda g: g.create_dataset(
        "title", data="Run A", dtype=h5py.string_dtype("ascii")
    ),
    "vlen utf-8 scalar": lambda g: g.create_dataset("title", data="Run A"),
    "fixed utf-8 (1,)": lambda g: fixed_utf8(g, "title", "Run A"),
}


@pytest.mark.parametrize("layout", sorted(STRING_LAYOUTS))
def test_every_string_layout_decodes_to_the_same_text(nexus_file, layout):
    def build(f):
        STRING_LAYOUTS[layout](nx_group(f, "entry", "NXentry"))

    assert nexus.extract(nexus_file(build)).dataset_name == "Run A"


def test_non_ascii_text_survives_in_names_and_values(nexus_file):
    def build(f):
        entry = nx_group(f, "entry", "NXentry")
        nx_group(entry, "user_Søren", "NXuser", name="Søren Ødegård")

    draft = nexus.extract(nexus_file(build))

    assert draft.owner == "Søren Ødegård"
    assert entry_meta(draft)["user_Søren/name"] == {"value": "Søren Ødegård"}


def test_invalid_utf8_falls_back_to_latin1_and_micro_is_normalised(nexus_file):
    def build(f):
        entry = nx_group(f, "entry", "NXentry", gap=2.5, label=np.bytes_(b"caf\xe9"))
        entry["gap"].attrs["units"] = np.bytes_(b"\xb5m")  # Latin-1 µ in an "ASCII" string

    meta = entry_meta(nexus.extract(nexus_file(build)))

    assert meta["gap"] == {"value": 2.5, "unit": "um", "unit_raw": "µm"}
    assert meta["label"] == {"value": "café"}


@pytest.mark.parametrize(
    ("field", "units", "expected"),
    [
        ("count_time", "NX_TIME", None),  # a category written as if it were a unit
        ("count_time", " ", None),
        ("d_spacing", "Angstroms", "angstrom"),
        ("current", "A", "A"),  # ampere, unless the field is wavelength-like
        ("angle", np.array([b"degrees"]), "deg"),
        ("angle", h5py.Empty("S1"), None),
    ],
)
def test_unit_spellings_are_tidied(nexus_file, field, units, expected):
    def build(f):
        entry = nx_group(f, "entry", "NXentry")
        entry[field] = 1.5
        entry[field].attrs["units"] = units

    leaf = entry_meta(nexus.extract(nexus_file(build)))[field]

    assert leaf.get("unit") == expected


@pytest.mark.parametrize(
    ("written", "expected", "naive"),
    [
        ("2001-02-07T08:54:21-0600", "2001-02-07T14:54:21+00:00", False),
        ("2024-10-28T09:06:41.186Z", "2024-10-28T09:06:41.186000+00:00", False),
        ("2018-05-01T07:22:00+02:00", "2018-05-01T05:22:00+00:00", False),
        ("2023-05-23 15:47:13 -0700", "2023-05-23T22:47:13+00:00", False),
        ("2020-06-04T19:19:48.464472", "2020-06-04T19:19:48.464472", True),
        ("2020-06-04 19:19:48", "2020-06-04T19:19:48", True),
        ("Wed Feb  7 08:54:21 2001", "2001-02-07T08:54:21", True),
    ],
)
def test_odd_time_formats_are_normalised(nexus_file, written, expected, naive):
    def build(f):
        nx_group(f, "entry", "NXentry", start_time=written)

    draft = nexus.extract(nexus_file(build))

    assert draft.start_time == expected
    assert any("no time zone" in w for w in draft.warnings) == naive


@pytest.mark.parametrize("written", ["", "{start time}", "N/A"])
def test_empty_or_placeholder_times_are_left_out_silently(nexus_file, written):
    def build(f):
        nx_group(f, "entry", "NXentry", start_time=written)

    draft = nexus.extract(nexus_file(build))

    assert draft.start_time == ""
    assert draft.warnings == []


def test_unreadable_time_is_warned_about(nexus_file):
    def build(f):
        nx_group(f, "entry", "NXentry", start_time="yesterday at noon")

    draft = nexus.extract(nexus_file(build))

    assert draft.start_time == ""
    assert any("unreadable" in w for w in draft.warnings)


def test_hdf5_without_nxentry_is_not_nexus(sample):
    with pytest.raises(ExtractionError, match="NXentry"):
        nexus.extract(sample("nexus/h5py-wheel__vlen_string_dset.h5"))
