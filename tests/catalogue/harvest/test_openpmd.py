"""openPMD extractor: h5py-made pitfall files (formats.md §3), openPMD-api-made HDF5/ADIOS2
series, and the real sample files."""

import tempfile
from pathlib import Path

import h5py
import numpy as np
import pytest

from catalogue.harvest import openpmd, registry
from catalogue.harvest.draft import ExtractionError


def test_group_based_file_maps_series_facts(openpmd_file):
    draft = openpmd.extract(openpmd_file())
    meta = draft.scientific_metadata

    assert draft.data_format == "openPMD"
    assert draft.dataset_name == "sim"
    assert draft.owner == "Ada Lovelace"
    assert draft.contact_email == draft.owner_email == "ada@example.org"
    assert draft.creation_time == "2024-01-31T08:15:00+00:00"  # "YYYY-MM-DD HH:mm:ss +0100"
    assert draft.used_software == ["PIConGPU 0.7.0"]
    assert meta["iterations"] == {"count": 2, "numbers": [0, 100], "first": 0, "last": 100}
    assert meta["simulation_time_end"] == {"value": pytest.approx(1e-13), "unit": "s"}
    mesh = meta["meshes"]["E"]
    assert mesh["unit"] == "V/m"
    assert mesh["shape"] == [8, 16]
    assert mesh["components"] == ["x", "y"]
    assert mesh["gridSpacing"] == {"value": [1e-6, 2e-6], "unit": "m"}
    assert meta["particles"]["electrons"] == {"records": ["position"], "numParticles": 300}
    assert set(draft.keywords) >= {"openPMD", "E", "electrons", "cartesian"}
    assert draft.preview_source == "/data/0/meshes/E/x"


def test_constant_component_is_described_by_its_attributes(openpmd_file):
    path = openpmd_file(iterations=(0,))
    with h5py.File(path, "a") as f:
        mesh = f["data/0/meshes/E"]
        del mesh["x"]  # the fixture's y is constant already: now every component is
        mesh.create_group("x").attrs.update({"value": 2.0, "shape": np.array([4, 4], "u8")})

    meshes = openpmd.extract(path).scientific_metadata["meshes"]

    assert meshes["E"]["constant"] == 2.0
    assert meshes["E"]["shape"] == [4, 4]


def test_datasets_are_never_read(openpmd_file):
    # A mesh behind a filter that is not installed would fail any read.
    path = openpmd_file(iterations=(0,))
    with h5py.File(path, "a") as f:
        mesh = f["data/0/meshes/E"]
        del mesh["x"]
        dset = mesh.create_dataset(
            "x", shape=(64,), dtype="f4", chunks=(64,), compression=32008, allow_unknown_filter=True
        )
        dset.id.write_direct_chunk((0,), b"garbage")

    draft = openpmd.extract(path)

    assert draft.scientific_metadata["meshes"]["E"]["shape"] == [64]
    assert draft.warnings == []


def test_string_extension_and_missing_encoding_of_openpmd_2(openpmd_file):
    path = openpmd_file(
        openPMDextension=np.bytes_(b"BeamPhysics;SpeciesType"), iterationEncoding=None
    )

    draft = openpmd.extract(path)

    assert draft.scientific_metadata["openPMD"]["extensions"] == ["BeamPhysics", "SpeciesType"]
    assert draft.scientific_metadata["iterations"]["count"] == 2  # treated as groupBased
    assert "BeamPhysics" in draft.keywords


def test_extension_bit_mask_names_ed_pic(openpmd_file):
    draft = openpmd.extract(openpmd_file(openPMDextension=np.uint32(1)))

    assert draft.scientific_metadata["openPMD"]["extensions"] == ["ED-PIC"]


def test_zero_padded_iterations_under_a_nonstandard_prefix(openpmd_file):
    path = openpmd_file(
        basePath=np.bytes_(b"/screen/%T/"), base="/screen", iterations=(1, 10), pad=5
    )

    meta = openpmd.extract(path).scientific_metadata

    assert meta["iterations"]["numbers"] == [1, 10]
    assert "E" in meta["meshes"]


def test_base_path_without_iterations_and_species_at_the_root(tmp_path):
    path = tmp_path / "beam.h5"
    with h5py.File(path, "w") as f:
        f.attrs.update(
            {
                "openPMD": "2.0.0",
                "basePath": "/",
                "particlesPath": "./",
                "speciesType": "electron",
                "numParticles": np.uint64(5000),
            }
        )
        f.create_group("position").create_dataset("x", data=np.zeros(5000))
        f.create_group("input").attrs.update({f"opt{i}": i for i in range(5)})

    meta = openpmd.extract(path).scientific_metadata

    assert meta["iterations"]["count"] == 1
    species = next(iter(meta["particles"].values()))
    assert species["speciesType"] == "electron"
    assert species["numParticles"] == 5000
    assert "extra" not in meta  # with basePath "/" every group belongs to the iteration


def test_extra_groups_beside_the_base_path_are_kept_apart(openpmd_file):
    path = openpmd_file(iterations=(0,))
    with h5py.File(path, "a") as f:
        f.create_group("input").attrs.update({"laser_a0": 2.0, "plasma_density": 1e24})

    draft = openpmd.extract(path)

    assert draft.scientific_metadata["extra"]["input"] == {"laser_a0": 2.0, "plasma_density": 1e24}
    assert "input" not in draft.scientific_metadata["meshes"]


def test_beamphysics_external_field_file_without_base_path(tmp_path):
    path = tmp_path / "field.h5"
    with h5py.File(path, "w") as f:
        f.attrs.update({"openPMD": "2.0.0", "externalFieldPath": "/ExternalFieldPath/%T/"})
        field = f.create_group("ExternalFieldPath/1")
        field.attrs.update(
            {"gridGeometry": "rectangular", "harmonic": 1, "fundamentalFrequency": 1.3e9}
        )

    meta = openpmd.extract(path).scientific_metadata

    assert meta["iterations"]["numbers"] == [1]


def test_file_based_series_is_one_dataset(openpmd_file, tmp_path):
    root = {"iterationEncoding": np.bytes_(b"fileBased"), "iterationFormat": np.bytes_(b"run_%06T")}
    paths = [openpmd_file(f"run_{n:06d}.h5", iterations=(n,), **root) for n in (200, 0, 100)]
    other = openpmd_file("unrelated.h5")

    assert registry.group([*paths, other]) == [paths, [other]]
    assert openpmd.find_series(paths[1]) == sorted(paths)
    draft = openpmd.extract_series(sorted(paths))

    assert draft.dataset_name == "run"
    assert draft.scientific_metadata["iterations"]["numbers"] == [0, 100, 200]
    assert draft.scientific_metadata["simulation_time_end"]["value"] == pytest.approx(2e-13)
    assert [f["path"] for f in draft.files] == [p.name for p in sorted(paths)]


def test_series_pattern_handles_padding_and_formats_without_extension():
    pattern = openpmd.series_pattern("data_%06T", ".h5")

    assert pattern.match("data_000100.h5").group(1) == "000100"
    assert pattern.match("data_12.h5") is None  # shorter than the padding
    assert openpmd.series_pattern("/data/%T/", ".h5").match("x.h5") is None


@pytest.mark.parametrize(
    ("powers", "unit"),
    [
        ((1, 1, -3, -1, 0, 0, 0), "V/m"),
        ((0, 1, -2, -1, 0, 0, 0), "T"),
        ((1, 1, -1, 0, 0, 0, 0), "kg*m/s"),
        ((0, 0, -1, 0, 0, 0, 0), "1/s"),
        ((1, 0, -2, 0, 0, 0, 0), "m/s^2"),
        ((-3, 0, 0, 0, 0, 0, 0), "1/m^3"),
        ((0, 0, 0, 0, 0, 0, 0), ""),
    ],
)
def test_unit_dimension_becomes_a_unit_string(powers, unit):
    assert openpmd.unit_from_dimension(np.array(powers, dtype=float)) == unit


def test_file_that_is_also_nexus_is_read_as_openpmd(openpmd_file):
    path = openpmd_file(iterations=(0,))
    with h5py.File(path, "a") as f:
        f.create_group("entry").attrs["NX_class"] = "NXentry"

    assert registry.sniff(path) == "openpmd"
    assert registry.extract(path).data_format == "openPMD"


def test_hdf5_without_openpmd_attribute_is_an_extraction_error(tmp_path):
    path = tmp_path / "plain.h5"
    with h5py.File(path, "w") as f:
        f["x"] = 1

    with pytest.raises(ExtractionError, match="openPMD"):
        openpmd.extract(path)


# --- written by openPMD-api (HDF5 and ADIOS2) -------------------------------------------------


def write_series(path_pattern: str, iterations=(0, 10)):
    io = pytest.importorskip("openpmd_api", reason="openpmd-api wheel not installed")
    series = io.Series(str(path_pattern), io.Access.create)
    series.author = "Grace Hopper <grace@example.org>"
    series.set_software("WarpX", "24.01")
    for number in iterations:
        iteration = series.iterations[number]
        iteration.time, iteration.dt, iteration.time_unit_SI = float(number), 1.0, 1e-15
        rho = iteration.meshes["rho"]
        rho.geometry = io.Geometry.cartesian
        rho.grid_spacing, rho.grid_global_offset, rho.grid_unit_SI = [1.0, 1.0], [0.0, 0.0], 1e-6
        rho.axis_labels = ["x", "z"]
        rho.unit_dimension = {
            io.Unit_Dimension.L: -3,
            io.Unit_Dimension.I: 1,
            io.Unit_Dimension.T: 1,
        }
        data = np.arange(32 * 48, dtype="f8").reshape(32, 48)
        component = rho[io.Mesh_Record_Component.SCALAR]
        component.reset_dataset(io.Dataset(data.dtype, data.shape))
        component.store_chunk(data)
        series.flush()
    series.close()


@pytest.mark.parametrize("suffix", ["h5", "bp4", "bp5"])
def test_group_based_series_written_by_openpmd_api(tmp_path, suffix):
    path = tmp_path / f"warpx.{suffix}"
    write_series(path)
    before = set(Path(tempfile.gettempdir()).glob("warpx*profiling.json"))

    draft = registry.extract(path)
    meta = draft.scientific_metadata

    assert draft.data_format == "openPMD"
    assert draft.owner == "Grace Hopper"
    assert meta["iterations"]["numbers"] == [0, 10]
    assert meta["meshes"]["rho"]["unit"] == "C/m^3"
    assert meta["meshes"]["rho"]["shape"] == [32, 48]
    if path.is_dir():  # an ADIOS2 series is a folder: every file in it is listed
        assert {f"{path.name}/md.idx", f"{path.name}/md.0"} <= {f["path"] for f in draft.files}
    else:
        assert [f["path"] for f in draft.files] == [path.name]
    assert all(f["size"] > 0 for f in draft.files if not f["path"].endswith("profiling.json"))
    # adios2 leaves <name>_<hex>_profiling.json in the temp folder after BP5 reads: removed
    assert set(Path(tempfile.gettempdir()).glob("warpx*profiling.json")) <= before


def test_file_based_adios2_series_is_grouped(tmp_path):
    write_series(tmp_path / "pic_%T.bp4", iterations=(0, 5, 10))
    members = sorted(tmp_path.glob("pic_*.bp4"))

    units = registry.group(members)
    assert len(units) == 1
    draft = registry.extract_unit(units[0])

    assert draft.scientific_metadata["iterations"]["numbers"] == [0, 5, 10]
    assert {f["path"].split("/")[0] for f in draft.files} == {m.name for m in members}


# --- real files --------------------------------------------------------------------------------


def test_theta_mode_sample(sample):
    draft = openpmd.extract(sample("openpmd/openPMD-example-datasets__example-femm-thetaMode.h5"))
    meta = draft.scientific_metadata

    assert meta["openPMD"]["version"] == "1.1.0"
    assert meta["openPMD"]["iterationEncoding"] == "groupBased"
    assert meta["iterations"]["numbers"] == [1]
    assert draft.creation_time == "2023-05-23T22:47:13+00:00"
    assert draft.used_software == ["openPMD-api 0.15.0"]
    assert draft.owner == ""  # no author attribute
    assert meta["meshes"]["B"]["geometry"] == "thetaMode"
    assert meta["meshes"]["B"]["geometryParameters"] == "m=1;imag=+"
    assert meta["meshes"]["B"]["shape"] == [1, 47, 47]
    assert meta["meshes"]["B"]["unit"] == "T"
    assert meta["meshes"]["E"]["constant"] == 0.0  # every E component is a constant group
    assert meta["meshes"]["E"]["unit"] == "V/m"
    assert draft.preview_source == "/data/1/meshes/B/r"


def test_cartesian_3d_sample(sample):
    meta = openpmd.extract(
        sample("openpmd/openPMD-example-datasets__example-femm-3d.h5")
    ).scientific_metadata

    assert meta["meshes"]["B"]["shape"] == [47, 47, 47]
    assert meta["meshes"]["B"]["axisLabels"] == ["x", "y", "z"]
    assert meta["meshes"]["B"]["gridSpacing"] == {"value": [0.05, 0.05, 0.125], "unit": "m"}


def test_variable_based_adios2_series_counts_steps(tmp_path):
    io = pytest.importorskip("openpmd_api", reason="openpmd-api wheel not installed")
    path = tmp_path / "steps.bp4"
    series = io.Series(str(path), io.Access.create)
    series.iteration_encoding = io.Iteration_Encoding.variable_based
    for number in (0, 7, 9):
        iteration = series.write_iterations()[number]
        iteration.time = float(number)
        rho = iteration.meshes["rho"]
        rho.axis_labels, rho.grid_spacing, rho.grid_global_offset = ["x"], [1.0], [0.0]
        component = rho[io.Mesh_Record_Component.SCALAR]
        component.reset_dataset(io.Dataset(np.dtype("f8"), [10]))
        component.store_chunk(np.arange(10.0))
        iteration.close()
    series.close()

    draft = registry.extract(path)

    assert draft.scientific_metadata["iterations"]["count"] == 3
    assert draft.scientific_metadata["iterations"]["last"] == 9
    assert draft.scientific_metadata["meshes"]["rho"]["shape"] == [10]
    assert any("variableBased" in w for w in draft.warnings)
