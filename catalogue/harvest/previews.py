"""PNG thumbnails (≤ 256 px) of what a file shows, reading a bounded amount of data.

NeXus: the default NXdata signal (a line plot for 1-D, an image otherwise); FITS: the first image
HDU with an asinh stretch between robust percentiles (a cheap zscale stand-in); openPMD: a slice
of the first stored mesh.  Arrays are strided or cropped BEFORE reading (h5py slicing, astropy
``section``, ADIOS2 selections), so at most about MAX_READ elements are touched.  Pillow draws
everything.  A preview is optional: any problem gives None, never an exception.
"""

from __future__ import annotations

import io
import math
import time
import warnings
from pathlib import Path

import numpy as np

SIDE = 256  # longest side of a thumbnail
MAX_READ = 512 * 512  # elements read for one image
MAX_LINE = 4096  # points read for one line plot
CROP = 4096  # side of the centre crop taken from very large images


def make_preview(path, hint: str = "") -> bytes | None:
    """PNG bytes, or None when there is nothing to show (or it cannot be read cheaply).

    hint is a draft's ``preview_source`` (an HDF5 path, "HDU n", a mesh path); it saves a search.
    """
    from .registry import sniff

    path = Path(path)
    try:
        found = sniff(path)
        readers = {"nexus": _nexus_array, "fits": _fits_array, "openpmd": _openpmd_array}
        if found not in readers:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            array = readers[found](path, hint)
        return _render(array) if array is not None else None
    except Exception:  # never let a thumbnail fail a harvest
        return None


# --- bounded selections --------------------------------------------------------------------


def _selection(shape: tuple[int, ...], budget: int = MAX_READ) -> tuple:
    """Middle index on leading axes, then strides (and a centre crop if still too big)."""
    if len(shape) == 1:
        step = max(1, math.ceil(shape[0] / MAX_LINE))
        return (slice(None, None, step),)
    lead = tuple(n // 2 for n in shape[:-2])
    rows, cols = shape[-2:]
    if rows * cols > 64 * budget:  # striding still decompresses every chunk: crop the centre
        rows, cols = min(rows, CROP), min(cols, CROP)
    r0, c0 = (shape[-2] - rows) // 2, (shape[-1] - cols) // 2
    step = max(1, math.ceil(math.sqrt(rows * cols / budget)))
    return (*lead, slice(r0, r0 + rows, step), slice(c0, c0 + cols, step))


def _nexus_signal(f, hint: str):
    import h5py

    from .draft import as_text

    def nx(obj) -> str:
        return as_text(obj.attrs.get("NX_class", "")) if obj is not None else ""

    if hint and isinstance(f.get(hint), h5py.Dataset):
        return f[hint]
    default = as_text(f.attrs.get("default", ""))
    names = sorted(f, key=lambda n: n != default)
    for entry_name in names:
        entry = f.get(entry_name)
        if not isinstance(entry, h5py.Group) or nx(entry) != "NXentry":
            continue
        data_default = as_text(entry.attrs.get("default", ""))
        for data_name in sorted(entry, key=lambda n: n != data_default):
            group = entry.get(data_name)
            if isinstance(group, h5py.Group) and nx(group) == "NXdata":
                signal = as_text(group.attrs.get("signal", ""))
                if signal and isinstance(group.get(signal), h5py.Dataset):
                    return group[signal]
    return None


def _nexus_array(path: Path, hint: str):
    import h5py

    from .hdf5 import resolve

    with h5py.File(path, "r", locking=False) as f:
        dset = _nexus_signal(f, hint)
        if dset is None or not dset.shape or dset.dtype.kind not in "biuf":
            return None
        if dset.is_virtual:  # missing sources read as fill values: a blank lie, so no preview
            sources = {s.file_name for s in dset.virtual_sources()} - {"."}
            if any(not resolve(f.filename, s).exists() for s in sources):
                return None
        return np.asarray(dset[_selection(dset.shape)])


def _fits_array(path: Path, hint: str):
    from astropy.io import fits

    wanted = int(hint.split()[-1]) if hint.startswith("HDU ") else None
    with fits.open(path, lazy_load_hdus=True) as hdul:
        for index, hdu in enumerate(hdul):
            if wanted is not None and index != wanted:
                continue
            naxis = int(hdu.header.get("NAXIS", 0))
            shape = tuple(int(hdu.header.get(f"NAXIS{i}", 0)) for i in range(naxis, 0, -1))
            if len(shape) >= 2 and all(shape) and hdu.is_image:
                data = hdu.section[_selection(shape)]
                return np.flipud(np.asarray(data, dtype=float))  # FITS rows run bottom-up
    return None


def _openpmd_array(path: Path, hint: str):
    if not hint:
        from .openpmd import extract

        hint = extract(path).preview_source
    if not hint:
        return None
    if path.is_dir():
        import adios2

        from .trees import remove_profiling_files

        started = time.time()
        try:
            with adios2.FileReader(str(path)) as reader:
                variables = reader.available_variables()
                name = hint if hint in variables else hint.lstrip("/")
                if name not in variables:
                    return None
                shape = [int(n) for n in variables[name]["Shape"].replace(" ", "").split(",") if n]
                start, count = _block(tuple(shape))
                return np.asarray(reader.read(name, start=list(start), count=list(count)))
        finally:
            remove_profiling_files(path.name, started)
    import h5py

    with h5py.File(path, "r", locking=False) as f:
        dset = f.get(hint)
        if not isinstance(dset, h5py.Dataset) or not dset.shape:
            return None
        return np.asarray(dset[_selection(dset.shape)])


def _block(shape: tuple[int, ...]) -> tuple[tuple, tuple]:
    """ADIOS2 reads boxes, not strides: a centred box of at most MAX_READ elements."""
    start = [n // 2 for n in shape[:-2]]
    count = [1] * len(start)
    for n in shape[-2:]:
        side = min(n, int(math.sqrt(MAX_READ)))
        start.append((n - side) // 2)
        count.append(side)
    return tuple(start), tuple(count)


# --- drawing -------------------------------------------------------------------------------


def _render(array) -> bytes | None:
    array = np.asarray(array)
    if np.iscomplexobj(array):
        array = np.abs(array)
    array = np.squeeze(array.astype(float, copy=False))
    if array.size == 0 or not np.isfinite(array).any():
        return None
    while array.ndim > 2:  # selections keep leading axes of length 1 only
        array = array[0]
    image = _line_plot(array) if array.ndim == 1 else _image(array)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _line_plot(values):
    from PIL import Image, ImageDraw

    width, height, margin = SIDE, SIDE * 5 // 8, 8
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    finite = values[np.isfinite(values)]
    low, high = float(finite.min()), float(finite.max())
    span = (high - low) or 1.0
    xs = np.linspace(margin, width - margin, len(values))
    ys = height - margin - (np.nan_to_num(values, nan=low) - low) / span * (height - 2 * margin)
    draw.rectangle([margin - 1, margin - 1, width - margin, height - margin], outline="#999999")
    draw.line(list(zip(xs.tolist(), ys.tolist(), strict=True)), fill="#1f4e9c", width=1)
    return image


def _image(values):
    from PIL import Image

    finite = values[np.isfinite(values)]
    low, high = np.percentile(finite, [0.5, 99.5])
    if high <= low:
        high = low + 1.0
    scaled = np.clip((np.nan_to_num(values, nan=low) - low) / (high - low), 0.0, 1.0)
    stretch = 10.0  # asinh keeps faint structure visible next to bright peaks
    scaled = np.arcsinh(stretch * scaled) / np.arcsinh(stretch)
    image = Image.fromarray((scaled * 255).astype(np.uint8))
    rows, cols = values.shape
    factor = SIDE / max(rows, cols)
    size = (max(1, round(cols * factor)), max(1, round(rows * factor)))
    return image.resize(size, Image.Resampling.NEAREST if factor > 1 else Image.Resampling.BOX)
