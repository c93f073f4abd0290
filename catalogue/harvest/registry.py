"""Which extractor reads a file, decided by CONTENT (never by the file name), imported lazily.

Sniffing reads a few bytes: the FITS ``SIMPLE  =`` card (also inside gzip/bzip2), the HDF5
signature at offset 0 or 512·2ⁿ (files with a user block), an ADIOS2 ``md.idx`` in a directory.
HDF5 files are then classified by their root: an ``openPMD`` attribute → openPMD (it wins when a
file is both), an NXentry child or ``NX_class = NXroot`` → NeXus, otherwise plain HDF5, which has
no extractor.  A new format is one module with ``extract(path)`` plus one line in FORMATS.
"""

from __future__ import annotations

import bz2
import gc
import gzip
import importlib
from contextlib import closing, contextmanager
from pathlib import Path

from .draft import DatasetDraft, ExtractionError

FORMATS = {
    "nexus": "catalogue.harvest.nexus",
    "fits": "catalogue.harvest.fits",
    "openpmd": "catalogue.harvest.openpmd",
}
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
FITS_SIGNATURE = b"SIMPLE  ="


def _hdf5_signature(handle, size: int) -> bool:
    offset = 0
    while offset + 8 <= size:  # HDF5 looks at 0, 512, 1024, 2048, ... (after a user block)
        handle.seek(offset)
        if handle.read(8) == HDF5_SIGNATURE:
            return True
        offset = 512 if offset == 0 else offset * 2
    return False


def _compressed_fits(path: Path, head: bytes) -> bool:
    opener = gzip.open if head[:2] == b"\x1f\x8b" else bz2.open if head[:3] == b"BZh" else None
    if opener is None:
        return False
    try:
        with opener(path, "rb") as stream:
            return stream.read(len(FITS_SIGNATURE)) == FITS_SIGNATURE
    except (OSError, EOFError, ValueError):
        return False


def _classify_hdf5(path: Path) -> str:
    from h5py import h5g, h5l, h5o

    from .hdf5 import hdf5_attrs, nx_class, open_file

    entries = []

    def nxentry(name: bytes, info) -> bool | None:  # a non-None answer ends the iteration
        if info.type != h5l.TYPE_HARD:
            return None
        child = h5o.open(fid, name)
        if isinstance(child, h5g.GroupID) and nx_class(hdf5_attrs(child)) == "NXentry":
            entries.append(name)
            return True
        return None

    try:
        with closing(open_file(path)) as fid:
            root = hdf5_attrs(fid)
            if "openPMD" in root:
                return "openpmd"
            if nx_class(root) == "NXroot":
                return "nexus"
            fid.links.iterate(nxentry, info=True)
    except Exception:
        return "hdf5"  # the signature is there; the extractor will say what is wrong
    return "nexus" if entries else "hdf5"


def sniff(path) -> str | None:
    """ "nexus", "fits", "openpmd", "hdf5" (plain, no extractor) or None (not recognised)."""
    path = Path(path)
    if path.is_dir():
        return "openpmd" if (path / "md.idx").is_file() and (path / "md.0").is_file() else None
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
            if head.startswith(FITS_SIGNATURE):
                return "fits"
            is_hdf5 = _hdf5_signature(handle, path.stat().st_size)
    except OSError:
        return None
    if is_hdf5:
        return _classify_hdf5(path)
    return "fits" if _compressed_fits(path, head) else None


def extractor(format_name: str):
    """The extractor module for a format name (imported on first use)."""
    if format_name not in FORMATS:
        raise ExtractionError(f"no extractor for format {format_name!r}")
    return importlib.import_module(FORMATS[format_name])


def extract(path, known: str = "") -> DatasetDraft:
    """The draft for one file (or .bp directory), with the extractor its content calls for.

    `known`: the format this run's identification already found (it is not sniffed again).
    """
    path = Path(path)
    if not path.exists():
        raise ExtractionError(f"{path} does not exist")
    if path.is_file() and path.stat().st_size == 0:
        raise ExtractionError("empty file")
    found = known if known in FORMATS else sniff(path)
    if found is None and path.is_file() and path.open("rb").read(2) == b"\x1f\x9d":
        raise ExtractionError("Unix compress (.Z) file: unsupported (astropy needs uncompresspy)")
    if found is None:
        raise ExtractionError("not a recognised format (NeXus/HDF5, FITS or openPMD)")
    if found == "hdf5":
        raise ExtractionError("plain HDF5 without NXentry or openPMD attributes: nothing to map")
    with _collector_paused():
        return extractor(found).extract(path)


@contextmanager
def _collector_paused():
    """The cyclic garbage collector off while a file is read: extraction makes thousands of
    small dicts and no cycles, and each collection walks the whole heap (in a harvest's parent
    process, every file it plans to read); 8% of an extraction's CPU. Already off: left off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def group(paths) -> list[list[Path]]:
    """Harvest units: each file alone, except the files of an openPMD fileBased series together.

    Order follows the input; a series is placed where its first member appeared.
    """
    from .openpmd import series_key

    units: list[list[Path]] = []
    series: dict[tuple[str, str], list[Path]] = {}
    for path in map(Path, paths):
        key = series_key(path) if sniff(path) == "openpmd" else None
        if key is None:
            units.append([path])
        elif key in series:
            series[key].append(path)
        else:
            series[key] = [path]
            units.append(series[key])
    return units


def extract_unit(paths, known: str = "") -> DatasetDraft:
    """The draft for one unit from ``group``: a single file (of format `known`, if known), or
    a whole openPMD series."""
    paths = [Path(p) for p in paths]
    if len(paths) == 1:
        return extract(paths[0], known)
    from .openpmd import extract_series

    with _collector_paused():
        return extract_series(paths)
