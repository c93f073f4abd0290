"""Detection by content, and the broken-file corpus: ExtractionError or warnings, nothing else."""

import gzip
import shutil

import h5py
import numpy as np
import pytest

from catalogue.harvest import fits, nexus, openpmd, registry
from catalogue.harvest.draft import ExtractionError

from .conftest import basic_entry, nx_group, raw_fits


def test_nexus_file_named_fits_is_still_nexus(nexus_file):
    path = nexus_file(basic_entry, name="misleading.fits")

    assert registry.sniff(path) == "nexus"
    assert registry.extract(path).data_format == "NeXus"


def test_fits_file_named_nxs_is_still_fits(fits_file):
    from astropy.io import fits as afits

    path = fits_file([afits.PrimaryHDU(np.zeros((4, 4)))], name="misleading.nxs")

    assert registry.sniff(path) == "fits"
    assert registry.extract(path).data_format == "FITS"


def test_gzip_with_fits_inside_is_fits_whatever_the_name(fits_file, tmp_path):
    from astropy.io import fits as afits

    packed = tmp_path / "archive.dat"
    packed.write_bytes(gzip.compress(fits_file([afits.PrimaryHDU()]).read_bytes()))

    assert registry.sniff(packed) == "fits"


def test_gzip_of_something_else_is_not_recognised(tmp_path):
    packed = tmp_path / "notes.fits.gz"
    packed.write_bytes(gzip.compress(b"hello, this is text"))

    assert registry.sniff(packed) is None
    with pytest.raises(ExtractionError, match="not a recognised format"):
        registry.extract(packed)


def test_user_block_hides_the_signature_from_offset_zero(nexus_file):
    path = nexus_file(basic_entry, name="scan.bin", userblock_size=32768)

    assert registry.sniff(path) == "nexus"


def test_root_nx_class_nxroot_counts_as_nexus(nexus_file):
    def build(f):
        f.attrs["NX_class"] = "NXroot"

    assert registry.sniff(nexus_file(build)) == "nexus"


def test_plain_hdf5_is_classified_but_has_no_extractor(sample):
    path = sample("nexus/h5py-wheel__vlen_string_dset.h5")

    assert registry.sniff(path) == "hdf5"
    with pytest.raises(ExtractionError, match="plain HDF5"):
        registry.extract(path)


def test_openpmd_file_and_adios2_directory_are_openpmd(openpmd_file, tmp_path):
    assert registry.sniff(openpmd_file()) == "openpmd"
    bp = tmp_path / "fake.bp"
    bp.mkdir()
    (bp / "md.idx").write_bytes(b"")
    (bp / "md.0").write_bytes(b"")
    assert registry.sniff(bp) == "openpmd"
    assert registry.sniff(tmp_path) is None


def test_unix_compress_file_gets_a_clear_reason(tmp_path):
    path = tmp_path / "old.fits.Z"
    path.write_bytes(b"\x1f\x9d\x90" + b"\0" * 100)

    with pytest.raises(ExtractionError, match="uncompresspy"):
        registry.extract(path)


def test_extractors_are_imported_by_name():
    assert registry.extractor("fits") is fits
    with pytest.raises(ExtractionError):
        registry.extractor("tiff")


def test_single_files_are_their_own_units(basic_nexus, openpmd_file):
    group_based = openpmd_file()

    assert registry.group([basic_nexus, group_based]) == [[basic_nexus], [group_based]]


# --- broken-file corpus ------------------------------------------------------------------------


def zero_bytes(tmp_path):
    path = tmp_path / "empty.nxs"
    path.write_bytes(b"")
    return path


def truncated_hdf5(tmp_path):
    full = tmp_path / "full.h5"
    with h5py.File(full, "w") as f:
        basic_entry(f)
        for i in range(50):
            nx_group(f["entry"], f"log{i}", "NXlog", value=np.arange(100.0))
    path = tmp_path / "truncated.nxs"
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    return path


def truncated_fits(tmp_path):
    path = tmp_path / "truncated.fits"
    path.write_bytes(raw_fits(["SIMPLE  =                    T", "BITPIX  =  16"])[:500])
    return path


def text_named_nxs(tmp_path):
    path = tmp_path / "notes.nxs"
    path.write_text("This is not HDF5.\n" * 20)
    return path


def text_named_fits(tmp_path):
    path = tmp_path / "notes.fits"
    path.write_text("SIMPLE but not really FITS\n")
    return path


def cyclic_links(tmp_path):
    path = tmp_path / "cycles.nxs"
    with h5py.File(path, "w") as f:
        entry = nx_group(f, "entry", "NXentry", title="cycles")
        entry.create_group("a")["back"] = entry
        entry["loop1"] = h5py.SoftLink("/entry/loop2")
        entry["loop2"] = h5py.SoftLink("/entry/loop1")
        entry["self"] = h5py.ExternalLink("cycles.nxs", "/entry")  # an external link to itself
    return path


def huge_attributes(tmp_path):
    path = tmp_path / "huge_attrs.nxs"
    with h5py.File(path, "w", libver="latest") as f:
        f.attrs.create("blob", np.zeros(2_000_000, dtype="u1"))
        nx_group(f, "entry", "NXentry", title="big").attrs.create("table", np.ones(300_000))
    return path


def bad_fits_cards(tmp_path):
    path = tmp_path / "bad_cards.fits"
    path.write_bytes(
        raw_fits(
            [
                "SIMPLE  =                    T",
                "BITPIX  =  8",
                "NAXIS   =  0",
                "SKEW    = 1.2.3",
                "X = '",
            ]
        )
    )
    return path


def hdf5_without_signature_tail(tmp_path):
    path = tmp_path / "head_only.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    return path


CORPUS = [
    zero_bytes,
    truncated_hdf5,
    truncated_fits,
    text_named_nxs,
    text_named_fits,
    cyclic_links,
    huge_attributes,
    bad_fits_cards,
    hdf5_without_signature_tail,
]


@pytest.mark.parametrize("make", CORPUS, ids=[m.__name__ for m in CORPUS])
@pytest.mark.parametrize(
    "extract", [registry.extract, nexus.extract, fits.extract, openpmd.extract]
)
def test_broken_files_give_extraction_errors_or_warnings_only(tmp_path, make, extract):
    path = make(tmp_path)
    try:
        draft = extract(path)
    except ExtractionError as error:
        assert error.reason
        return
    assert draft.dataset_name


@pytest.mark.parametrize("make", [cyclic_links, huge_attributes, bad_fits_cards])
def test_salvageable_broken_files_are_extracted_with_warnings(tmp_path, make):
    draft = registry.extract(make(tmp_path))

    assert draft.warnings or make is cyclic_links
    assert draft.dataset_name in ("cycles", "big", "bad_cards.fits")


def test_truncated_hdf5_is_an_error_or_a_draft_with_warnings(tmp_path):
    path = truncated_hdf5(tmp_path)
    try:
        draft = nexus.extract(path)
    except ExtractionError as error:
        assert "HDF5" in error.reason
    else:
        assert draft.warnings


def test_copy_of_sample_renamed_without_extension_is_detected(sample, tmp_path):
    copy = tmp_path / "upload_0001"
    shutil.copy(sample("fits/astropy-wheel__dss.14.29.56-62.41.05.fits.gz"), copy)

    assert registry.sniff(copy) == "fits"
    assert registry.extract(copy).dataset_name == "dss126604"
