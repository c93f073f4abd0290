"""Thumbnails: PNG ≤ 256 px from NeXus signals, FITS images and openPMD meshes, bounded reads."""

import io

import h5py
import numpy as np
import pytest
from PIL import Image

from catalogue.harvest import nexus
from catalogue.harvest.previews import make_preview

from .conftest import basic_entry, nx_group


def png(data: bytes) -> Image.Image:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data))
    assert max(image.size) <= 256
    return image


def test_nexus_2d_signal_gives_an_image(basic_nexus):
    image = png(make_preview(basic_nexus))

    assert image.mode == "L"
    assert image.size == (256, round(12 * 256 / 20))  # the 12 x 20 detector frame, scaled up


def test_nexus_1d_signal_gives_a_line_plot(nexus_file):
    def build(f):
        data = nx_group(
            nx_group(f, "entry", "NXentry"), "data", "NXdata", counts=np.sin(np.arange(500) / 30)
        )
        data.attrs["signal"] = "counts"

    image = png(make_preview(nexus_file(build)))

    assert image.mode == "RGB"
    assert image.size == (256, 160)
    assert len(image.getcolors(maxcolors=1000)) > 1  # something is drawn


def test_hint_from_the_draft_is_used(basic_nexus):
    draft = nexus.extract(basic_nexus)

    assert make_preview(basic_nexus, hint=draft.preview_source) == make_preview(basic_nexus)


def test_huge_signal_is_read_strided_not_whole(nexus_file):
    # 200 GB of logical uint8 (never written: fill values); reading it whole would never finish.
    def build(f):
        data = nx_group(nx_group(f, "entry", "NXentry"), "data", "NXdata")
        data.create_dataset(
            "frames", shape=(50, 100_000, 40_000), dtype="u1", chunks=(1, 1024, 1024)
        )
        data.attrs["signal"] = "frames"

    assert png(make_preview(nexus_file(build))).size == (256, 256)  # a strided centre crop


def test_virtual_signal_with_missing_sources_has_no_preview(nexus_file):
    def build(f):
        layout = h5py.VirtualLayout(shape=(10, 64, 64), dtype="u2")
        layout[0:10] = h5py.VirtualSource("gone.h5", "data", shape=(10, 64, 64))
        data = nx_group(nx_group(f, "entry", "NXentry"), "data", "NXdata")
        data.create_virtual_dataset("frames", layout)
        data.attrs["signal"] = "frames"

    assert make_preview(nexus_file(build)) is None


def test_file_without_plottable_data_has_no_preview(nexus_file, tmp_path):
    assert make_preview(nexus_file(lambda f: nx_group(f, "entry", "NXentry", title="t"))) is None
    text = tmp_path / "notes.txt"
    text.write_text("nothing to see")
    assert make_preview(text) is None


def test_string_signal_has_no_preview(nexus_file):
    def build(f):
        nx_group(nx_group(f, "entry", "NXentry"), "data", "NXdata", words=["a", "b"]).attrs[
            "signal"
        ] = "words"

    assert make_preview(nexus_file(build)) is None


def test_fits_image_is_stretched_and_flipped(fits_file):
    from astropy.io import fits as afits

    pixels = np.zeros((100, 50), dtype="f4")
    pixels[:10, :] = 1000.0  # FITS row 0 is the BOTTOM of the picture
    image = png(make_preview(fits_file([afits.PrimaryHDU(pixels)])))

    assert image.size == (128, 256)
    assert image.getpixel((64, 250)) == 255
    assert image.getpixel((64, 5)) == 0


def test_fits_cube_and_compressed_image(fits_file):
    from astropy.io import fits as afits

    cube = fits_file(
        [afits.PrimaryHDU(np.random.default_rng(1).random((5, 30, 40)))], name="cube.fits"
    )
    tiles = fits_file(
        [afits.PrimaryHDU(), afits.CompImageHDU(np.arange(1200, dtype="i2").reshape(30, 40))]
    )

    assert png(make_preview(cube)).size == (256, 192)
    assert png(make_preview(tiles)).size == (256, 192)


def test_openpmd_mesh_slice(openpmd_file):
    assert png(make_preview(openpmd_file())).size == (256, 128)  # an 8 x 16 mesh


@pytest.mark.parametrize(
    "name",
    [
        "nexus/nexusformat-wheel__chopper.nxs",
        "nexus/pynxtools-wheel__201805_WSe2_arpes.nxs",
        "nexus/external_link_trio/external_master.hdf5",
        "fits/astropy-wheel__sip-wcs.fits",
        "fits/astropy-wheel__comp.fits",
        "fits/astropy-wheel__dss.14.29.56-62.41.05.fits.gz",
        "openpmd/openPMD-example-datasets__example-femm-3d.h5",
        "openpmd/openPMD-example-datasets__example-femm-thetaMode.h5",
    ],
)
def test_real_files_have_previews(sample, name):
    if "external" in name:
        sample("nexus/external_link_trio/external_counts.hdf5")
    png(make_preview(sample(name)))


def test_real_file_without_signal_has_none(sample):
    assert make_preview(sample("nexus/scicat-ingestor__small-coda.hdf")) is None


def test_preview_works_from_a_file_with_many_entries(nexus_file):
    def build(f):
        nx_group(f, "a_empty", "NXentry", title="nothing")
        basic_entry(f, "b_data")

    png(make_preview(nexus_file(build)))
