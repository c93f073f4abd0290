"""Low-level h5py helpers the HDF5-based extractors share (NeXus, openPMD, previews).

Low-level on purpose: h5py's high-level AttributeManager and Group.get(getlink=True) cost several
times more per object, and harvest cost is per object and attribute touched (formats.md §4.1).
Values are read only when small; large attributes are summarised, never loaded.
"""

from __future__ import annotations

import math
import os
from functools import lru_cache
from pathlib import Path

import h5py
import numpy as np
from h5py import h5a, h5d, h5f, h5p, h5s, h5t

from .draft import DatasetDraft, as_text, clean_unit, json_value

MAX_ELEMENTS = 64
MAX_BYTES = 4096
MAX_ATTR_BYTES = 4096
_SKIP_DATASET_ATTRS = frozenset({"units", "target", "NX_class"})


class Skipped:
    """An attribute too large to read: only its shape and type are kept."""

    def __init__(self, shape, dtype):
        self.summary = {"shape": list(shape or ()), "dtype": str(dtype), "not_read": "too large"}


@lru_cache(maxsize=1)
def _read_access() -> h5p.PropFAID:
    access = h5p.create(h5p.FILE_ACCESS)
    access.set_file_locking(False, ignore_when_disabled=False)  # h5py's locking=False
    return access


def open_file(path) -> h5f.FileID:
    """The file's low-level FileID (also its root group; close it, e.g. with contextlib.closing),
    opened as h5py.File(path, "r", locking=False) opens it. The high-level File costs twice as
    much to open and close: it builds its property lists each time, and closes every object
    left open one by one."""
    return h5f.open(os.fsencode(path), h5f.ACC_RDONLY, fapl=_read_access())


def reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()[:300]


def hdf5_attrs(oid, draft: DatasetDraft | None = None, where: str = "") -> dict:
    """An object's attributes (a low-level h5py ObjectID) as raw values; oversize ones Skipped."""
    out = {}
    try:
        count = h5a.get_num_attrs(oid)
    except Exception as exc:
        _warn(draft, f"{where}: attributes unreadable ({reason(exc)})")
        return out
    for index in range(count):
        name = f"#{index}"
        try:
            aid = h5a.open(oid, index=index)
            name = aid.name.decode("utf-8", "surrogateescape")
            if aid.get_storage_size() > MAX_ATTR_BYTES:
                out[name] = Skipped(aid.shape, aid.dtype)
                _warn(draft, f"{where}@{name}: {aid.get_storage_size()} byte attribute not read")
                continue
            out[name] = _read_attr(aid)
        except Exception as exc:
            _warn(draft, f"{where}@{name}: attribute unreadable ({reason(exc)})")
    return out


def _read_attr(aid):
    shape, dtype = aid.shape, aid.dtype
    if shape is None:  # HDF5 null dataspace (h5py.Empty)
        return None
    mtype = h5t.py_create(dtype)
    if dtype.subdtype is not None:  # numpy has no top-level array types: widen the shape
        dtype, subshape = dtype.subdtype
        shape = shape + subshape
    arr = np.zeros(shape, dtype=dtype)
    aid.read(arr, mtype=mtype)
    return arr[()] if arr.ndim == 0 else arr


def _warn(draft: DatasetDraft | None, message: str) -> None:
    if draft is not None:
        draft.warn(message)


def attr_leaf(value) -> dict:
    """A metadata leaf for an attribute: {"value"}, or the summary of one too large to read."""
    return value.summary if isinstance(value, Skipped) else {"value": json_value(value)}


def attr_json(value):
    return value.summary if isinstance(value, Skipped) else json_value(value)


def nx_class(attrs: dict) -> str:
    return as_text(attrs.get("NX_class", ""))


def key(name: str) -> str:
    """A metadata key from an HDF5 name: clean text, no dots (SciCat encodes them)."""
    if type(name) is str:  # the usual case, and the same few names in every file
        return _key_of_text(name)
    return as_text(name).replace(".", "_") or "_"


@lru_cache(maxsize=8192)
def _key_of_text(name: str) -> str:
    return as_text(name).replace(".", "_") or "_"


def dataset_leaf(dsid, name: str, draft: DatasetDraft, where: str, attrs: dict) -> dict:
    """The leaf of one dataset (low-level DatasetID, attrs already read); value only if small."""
    unit, unit_raw = clean_unit(attrs.get("units", ""), name)
    extra = {"@" + key(k): attr_json(v) for k, v in attrs.items() if k not in _SKIP_DATASET_ATTRS}
    if unit_raw:
        extra["unit_raw"] = unit_raw
    if unit:
        extra["unit"] = unit
    shape, dtype = dsid.shape, dsid.dtype
    if shape is None:  # an HDF5 null dataspace: no value at all
        return {"value": None, **extra}
    size = math.prod(shape)
    # Only a dataset without stored bytes can be virtual; the layout query costs 20 µs.
    if dsid.get_storage_size() == 0 and dsid.get_create_plist().get_layout() == h5d.VIRTUAL:
        dset = h5py.Dataset(dsid)
        sources = sorted({s.file_name for s in dset.virtual_sources()})
        missing = [s for s in sources if s != "." and not resolve(h5f_name(dsid), s).exists()]
        if missing:
            draft.warn(f"{where}: virtual dataset sources missing: {', '.join(missing[:5])}")
        return {
            **_described(shape, dtype, extra),
            "virtual_sources": sources[:20],
            "fillvalue": json_value(dset.fillvalue),
        }
    if size > MAX_ELEMENTS or size * dtype.itemsize > MAX_BYTES:
        return _described(shape, dtype, extra)
    try:
        value = _read_small(dsid, shape, dtype)
    except Exception as exc:  # e.g. a compression filter that is not installed
        draft.warn(f"{where}: value unreadable ({reason(exc)})")
        return _described(shape, dtype, extra)
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(-1)[0]  # NeXus writes scalars as shape (1,) all the time
    return {"value": json_value(value), **extra}


def _described(shape, dtype, extra: dict) -> dict:
    """The leaf of a dataset whose value is not read (built only then: str(dtype) is slow)."""
    return {"shape": list(shape), "dtype": str(dtype), **extra}


def _read_small(dsid, shape, dtype):
    try:
        arr = np.zeros(shape, dtype=dtype)
        dsid.read(h5s.ALL, h5s.ALL, arr, mtype=h5t.py_create(dtype))
    except (TypeError, ValueError):  # a type the plain read cannot map: h5py high-level can
        return h5py.Dataset(dsid)[()]
    return arr[()] if arr.ndim == 0 else arr


def h5f_name(oid) -> str:
    return h5py.h5f.get_name(oid).decode("utf-8", "surrogateescape")


def resolve(parent_file: str, target: str) -> Path:
    # HDF5 resolves relative external names against the parent file's folder, not the cwd.
    target_path = Path(target)
    return target_path if target_path.is_absolute() else Path(parent_file).parent / target_path
