"""NeXus extractor on the real third-party sample files (shared/samples/nexus)."""

import shutil

import pytest

from catalogue.harvest import nexus


def entry_meta(draft, entry="entry"):
    return draft.scientific_metadata["entries"][entry]


def test_ess_coda_file(sample):
    draft = nexus.extract(sample("nexus/scicat-ingestor__small-coda.hdf"))

    assert draft.dataset_name == "odin"
    assert draft.description == "CODA Proposal #3"
    assert draft.proposal_id == "443503"
    assert draft.run_number == "31010"
    assert draft.start_time == "2024-10-28T09:06:41.186000+00:00"
    assert draft.end_time == "2024-10-28T09:18:14.376000+00:00"
    assert draft.creation_location == "ODIN"
    assert draft.sample["name"] == "A Sample"
    assert [t["name"] for t in draft.techniques] == ["tomography"]
    assert draft.owner.count(";") == 5 and "Matt Clarke" in draft.owner
    assert draft.contact_email == ""  # every NXuser email is ""


def test_ess_ymir_file_with_non_ascii_user(sample):
    draft = nexus.extract(sample("nexus/scicat-ingestor__small-ymir.hdf"))

    assert draft.dataset_name == "october 28th, lego test 1, cont"
    assert draft.proposal_id == "876380"
    assert draft.run_number == "11465"
    assert "Søren Schmidt" in draft.owner
    assert entry_meta(draft)["user_SørenSchmidt/name"] == {"value": "Søren Schmidt"}


def test_ipns_chopper_file(sample):
    draft = nexus.extract(sample("nexus/nexusformat-wheel__chopper.nxs"))
    meta = entry_meta(draft)

    assert draft.dataset_name == "MgB2 PDOS 43.37g 8K 120meV E0@240Hz T0@120Hz"
    assert draft.start_time == "2001-02-07T14:54:21+00:00"  # -0600 without a colon
    assert draft.end_time == "2001-02-09T20:12:53+00:00"
    assert draft.creation_time == "2010-04-21T02:38:39+00:00"  # root file_time
    assert draft.instrument == {
        "name": "LRMECS",
        "source": {"name": "IPNS", "type": "Spallation Neutron Source"},
    }
    assert draft.sample["name"] == "Magnesium Diboride"
    assert draft.sample["sample_characteristics"]["chemical_formula"] == {"value": "MgB2"}
    assert draft.sample["sample_characteristics"]["temperature"] == {"value": 8.0, "unit": "K"}
    assert draft.run_number == "3701"
    assert [t["name"] for t in draft.techniques] == ["neutron time of flight technique"]
    assert meta["data/data"] == {
        "shape": [148, 750],
        "dtype": "int32",
        "unit": "counts",
        "@long_name": "Neutron Counts",
    }
    assert meta["data/polar_angle"] == {"target": "/entry/instrument/detector/polar_angle"}
    assert meta["instrument/detector/polar_angle"]["unit"] == "deg"
    assert draft.preview_source == "/entry/data/data"


def test_flash_arpes_file(sample):
    draft = nexus.extract(sample("nexus/pynxtools-wheel__201805_WSe2_arpes.nxs"))
    meta = entry_meta(draft)

    assert (
        draft.dataset_name == "Excited-state dynamics of WSe2 in the Valence Band and Core-Levels"
    )
    assert draft.proposal_id == "F-20170538"
    assert draft.run_number == "Run 22118"
    assert draft.start_time == "2018-05-01T05:22:00+00:00"
    assert draft.end_time == "2018-05-01T07:22:00+00:00"
    assert draft.creation_location == "HEXTOF @ PG-2, Flash"
    assert draft.instrument["source"]["name"] == "FLASH"
    assert draft.techniques[0]["pid"].endswith("PaNET01089")
    assert draft.scientific_metadata["monochromator"]["energy"]["value"] == pytest.approx(
        36.497, abs=1e-3
    )
    # sample/temperature is a NeXus link into the manipulator: followed to its value
    assert draft.sample["sample_characteristics"]["temperature"] == {"value": 300, "unit": "K"}
    assert meta["collection_time"] == {"value": 7200, "unit": "s"}
    assert meta["instrument/beam_pump_0/polarization_angle"]["value"] is None  # NaN in the file
    assert meta["instrument/analyser/angles"]["unit"] == "1/angstrom"
    assert any("file_time" in w and "no time zone" in w for w in draft.warnings)


def test_external_link_trio_lists_the_linked_files(sample):
    master = sample("nexus/external_link_trio/external_master.hdf5")
    sample("nexus/external_link_trio/external_counts.hdf5")
    sample("nexus/external_link_trio/external_angles.hdf5")

    draft = nexus.extract(master)

    assert [f["path"] for f in draft.files] == [
        "external_master.hdf5",
        "external_counts.hdf5",
        "external_angles.hdf5",
    ]
    assert entry_meta(draft)["instrument"] == {
        "external": "external_counts.hdf5",
        "path": "/entry/instrument",
    }
    assert draft.warnings == []


def test_master_file_without_its_linked_files_warns(sample, tmp_path):
    alone = tmp_path / "external_master.hdf5"
    shutil.copy(sample("nexus/external_link_trio/external_master.hdf5"), alone)

    draft = nexus.extract(alone)

    assert entry_meta(draft)["data/counts"]["missing"] is True
    assert any("external_counts.hdf5" in w for w in draft.warnings)
    assert len(draft.files) == 1
