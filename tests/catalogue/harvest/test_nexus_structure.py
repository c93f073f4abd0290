"""NeXus extractor, file structure pitfalls: links, virtual and huge data, cycles, budgets."""

import json

import h5py
import numpy as np

from catalogue.harvest import nexus
from catalogue.units import annotate_quantities

from .conftest import basic_entry, nx_group


def entry_meta(draft, entry="entry"):
    return draft.scientific_metadata["entries"][entry]


def test_dangling_external_link_is_recorded_not_followed(nexus_file):
    def build(f):
        entry = nx_group(f, "entry", "NXentry")
        entry["data"] = h5py.ExternalLink("detector_000001.h5", "/entry/data/data")

    draft = nexus.extract(nexus_file(build))

    assert entry_meta(draft)["data"] == {
        "external": "detector_000001.h5",
        "path": "/entry/data/data",
        "missing": True,
    }
    assert any("detector_000001.h5" in w for w in draft.warnings)
    assert len(draft.files) == 1


def test_virtual_dataset_with_missing_sources_is_described_never_read(nexus_file):
    def build(f):
        layout = h5py.VirtualLayout(shape=(100_000, 1000, 1000), dtype="i8")
        layout[0:10] = h5py.VirtualSource("frames_0001.h5", "data", shape=(10, 1000, 1000))
        nx_group(f, "entry", "NXentry").create_virtual_dataset("data", layout, fillvalue=-1)

    draft = nexus.extract(nexus_file(build))

    leaf = entry_meta(draft)["data"]
    assert leaf["shape"] == [100_000, 1000, 1000]
    assert leaf["virtual_sources"] == ["frames_0001.h5"]
    assert leaf["fillvalue"] == -1
    assert "value" not in leaf
    assert any("frames_0001.h5" in w for w in draft.warnings)


def test_big_dataset_behind_a_missing_filter_is_never_read(nexus_file):
    # Reading either dataset would fail (the filter is not installed): only the small one is read.
    def build(f):
        entry = nx_group(f, "entry", "NXentry")
        for name, size in (("small", 4), ("big", 1000)):
            dset = entry.create_dataset(
                name,
                shape=(size,),
                dtype="i4",
                chunks=(size,),
                compression=32008,
                allow_unknown_filter=True,
            )
            dset.id.write_direct_chunk((0,), b"not bitshuffle")

    draft = nexus.extract(nexus_file(build))

    assert [w for w in draft.warnings if "value unreadable" in w] == [
        next(w for w in draft.warnings if w.startswith("/entry/small"))
    ]
    assert entry_meta(draft)["big"] == {"shape": [1000], "dtype": "int32"}


def test_file_with_a_user_block_is_read(nexus_file):
    path = nexus_file(basic_entry, name="scan.dat", userblock_size=32768)
    assert path.read_bytes()[:8] != b"\x89HDF\r\n\x1a\n"

    assert nexus.extract(path).dataset_name == "Lysozyme 100K"


def test_cyclic_hard_and_soft_links_end_the_walk(nexus_file):
    def build(f):
        entry = nx_group(f, "entry", "NXentry", title="loops")
        inner = entry.create_group("a/b")
        inner["up"] = entry  # a hard link back to an ancestor
        entry["s1"] = h5py.SoftLink("/entry/s2")
        entry["s2"] = h5py.SoftLink("/entry/s1")

    draft = nexus.extract(nexus_file(build))

    assert entry_meta(draft)["s1"] == {"link": "/entry/s2"}
    assert draft.dataset_name == "loops"


def test_huge_attribute_is_summarised_not_loaded(nexus_file):
    def build(f):
        entry = nx_group(f, "entry", "NXentry", title="big attrs")
        entry["title"].attrs.create("calibration", np.zeros(500_000))

    draft = nexus.extract(nexus_file(build, libver="latest"))

    assert entry_meta(draft)["title"]["@calibration"] == {
        "shape": [500_000],
        "dtype": "float64",
        "not_read": "too large",
    }
    assert any("@calibration" in w for w in draft.warnings)


def test_walk_stops_at_the_object_budget(nexus_file, monkeypatch):
    def build(f):
        entry = nx_group(f, "entry", "NXentry", title="many")
        for i in range(60):
            entry.create_group(f"g{i:03d}").attrs["NX_class"] = "NXcollection"

    monkeypatch.setattr(nexus, "MAX_OBJECTS", 20)
    draft = nexus.extract(nexus_file(build))

    assert len(entry_meta(draft)) <= 20
    assert any("budget" in w for w in draft.warnings)


def test_users_give_owner_principal_investigator_and_contact(nexus_file):
    def build(f):
        entry = nx_group(f, "entry", "NXentry")
        nx_group(entry, "user_01", "NXuser", name="UNKNOWN", email="")
        nx_group(entry, "user_02", "NXuser", name="Ann Lee", email="", role="local_contact")
        nx_group(
            entry,
            "user_03",
            "NXuser",
            name="Bo Ek",
            email="bo@example.org",
            role="principal_investigator",
        )

    draft = nexus.extract(nexus_file(build))

    assert draft.principal_investigators == ["Bo Ek"]
    assert draft.owner == "Bo Ek"
    assert draft.contact_email == "bo@example.org"


def test_sample_placeholder_name_is_dropped_but_odd_characters_are_kept(nexus_file):
    def build(f):
        entry = nx_group(f, "entry", "NXentry")
        nx_group(entry, "sample", "NXsample", name="Default Sample")
        nx_group(f, "entry2", "NXentry").create_group("s").attrs["NX_class"] = "NXsample"

    draft = nexus.extract(nexus_file(build))
    assert "name" not in draft.sample
    assert any("placeholder sample name" in w for w in draft.warnings)

    def build_odd(f):
        nx_group(nx_group(f, "entry", "NXentry"), "sample", "NXsample", name="LaB6 / 50% Si")

    assert nexus.extract(nexus_file(build_odd, name="odd.nxs")).sample["name"] == "LaB6 / 50% Si"


def test_processing_entry_without_instrument_is_derived(nexus_file):
    def build(f):
        entry = nx_group(f, "entry", "NXentry", program_name="xia2")
        entry["program_name"].attrs["version"] = "3.10"
        nx_group(entry, "process", "NXprocess", program="dials")

    draft = nexus.extract(nexus_file(build))

    assert draft.type == "derived"
    assert draft.used_software == ["xia2 3.10"]


def test_subentry_definitions_and_probe_give_techniques(nexus_file):
    def build(f):
        entry = nx_group(f, "entry", "NXentry", definition="NXsas")
        nx_group(
            nx_group(entry, "instrument", "NXinstrument"), "source", "NXsource", probe="neutron"
        )
        nx_group(entry, "tomo", "NXsubentry", definition="NXtomo")

    pids = [t["pid"].rsplit("/", 1)[1] for t in nexus.extract(nexus_file(build)).techniques]

    assert pids == ["PaNET01189", "PaNET01129"]  # SANS (refined by the probe), tomography


def test_old_napi_classes_and_odd_types_do_not_break_the_walk(nexus_file):
    def build(f):
        entry = nx_group(f, "entry", "NXentry", title="napi")
        entry["counts"] = np.arange(3)
        entry["counts"].attrs["NX_class"] = "SDS"
        nx_group(entry, "filler", "Filler")
        entry.create_dataset("nothing", data=h5py.Empty("f4"))
        entry.attrs["empty"] = h5py.Empty("f4")
        entry["pair"] = np.array((1, 2.5), dtype=[("a", "i4"), ("b", "f8")])
        entry["ref"] = entry.ref
        entry["nan"] = np.nan

    draft = nexus.extract(nexus_file(build))
    meta = entry_meta(draft)

    assert meta["counts"] == {"value": [0, 1, 2]}
    assert meta["nothing"] == {"value": None}
    assert meta["pair"] == {"value": {"a": 1, "b": 2.5}}
    assert meta["nan"] == {"value": None}  # JSON and PostgreSQL have no NaN
    json.dumps(draft.scientific_metadata, allow_nan=False)


def test_metadata_is_strict_json_and_si_annotation_accepts_it(basic_nexus):
    metadata = nexus.extract(basic_nexus).scientific_metadata

    annotated, issues = annotate_quantities(json.loads(json.dumps(metadata, allow_nan=False)))

    assert annotated["entries"]["entry"]["instrument/detector/distance"]["unitSI"] == "m"
    assert issues == []
