"""One small read-only tree interface (attrs / children / shape) over HDF5 and ADIOS2 files.

The openPMD interpretation is written once against it.  HDF5 goes through h5py; an ADIOS2 ``.bp``
directory through the adios2 wheel, whose flat names ("/data/0/meshes/E/unitSI") are split into
a tree.  Attributes are read, datasets never (ADIOS2 contributes its stored min/max for free).
"""

from __future__ import annotations

import glob
import tempfile
import time
from pathlib import Path

from .draft import ExtractionError, json_value

_BOOKKEEPING = "__openPMD"  # openPMD-api's own ADIOS2 attributes


def open_tree(path: Path):
    """A tree for an HDF5 file or an ADIOS2 directory; ExtractionError if it cannot be opened."""
    return BPTree(path) if Path(path).is_dir() else H5Tree(path)


class H5Tree:
    def __init__(self, path: Path):
        import h5py

        from .hdf5 import hdf5_attrs

        self._h5py, self._attrs = h5py, hdf5_attrs
        try:
            self.file = h5py.File(path, "r", locking=False)
        except Exception as exc:
            raise ExtractionError(
                f"not a readable HDF5 file ({type(exc).__name__}: {exc})"
            ) from exc

    def _get(self, path: str):
        try:
            return self.file[path or "/"]
        except Exception:
            return None

    def attrs(self, path: str) -> dict:
        obj = self._get(path)
        return self._attrs(obj.id) if obj is not None else {}

    def children(self, path: str) -> list[tuple[str, bool]]:
        group = self._get(path)
        if not isinstance(group, self._h5py.Group):
            return []
        out = []
        for name in group:
            obj = self._get(f"{path.rstrip('/')}/{name}")
            if obj is not None:
                out.append((name, isinstance(obj, self._h5py.Group)))
        return out

    def shape(self, path: str) -> dict:
        obj = self._get(path)
        return {"shape": list(obj.shape or ()), "dtype": str(obj.dtype)} if obj is not None else {}

    def close(self) -> None:
        self.file.close()


class BPTree:
    """An ADIOS2 series as a tree: flat names ("/data/0/meshes/E/unitSI") split into paths."""

    def __init__(self, path: Path):
        try:
            import adios2
        except ImportError as exc:
            raise ExtractionError("ADIOS2 .bp series need the adios2 package") from exc
        self._attrs: dict[str, dict] = {}
        self._vars: dict[str, dict] = {}
        self._kids: dict[str, set[str]] = {}
        started = time.time()
        try:
            with adios2.FileReader(str(path)) as reader:
                for name in reader.available_attributes():
                    if not name.startswith(_BOOKKEEPING):
                        owner, _, attr = ("/" + name.lstrip("/")).rpartition("/")
                        self._attrs.setdefault(owner or "/", {})[attr] = reader.read_attribute(name)
                        self._add(owner or "/")
                for name, info in reader.available_variables().items():
                    self._vars["/" + name.lstrip("/")] = info
                    self._add("/" + name.lstrip("/"))
        except Exception as exc:
            raise ExtractionError(
                f"not a readable ADIOS2 series ({type(exc).__name__}: {exc})"
            ) from exc
        finally:
            remove_profiling_files(Path(path).name, started)

    def _add(self, path: str) -> None:
        while path not in ("", "/"):
            parent, _, name = path.rpartition("/")
            parent = parent or "/"
            known = self._kids.setdefault(parent, set())
            if name in known:
                return
            known.add(name)
            path = parent

    def attrs(self, path: str) -> dict:
        return self._attrs.get(path.rstrip("/") or "/", {})

    def children(self, path: str) -> list[tuple[str, bool]]:
        """(name, is_group); a name that is a variable is a dataset even if it has attributes."""
        path = path.rstrip("/") or "/"
        prefix = "" if path == "/" else path
        names = sorted(self._kids.get(path, ()))
        return [(name, f"{prefix}/{name}" not in self._vars) for name in names]

    def shape(self, path: str) -> dict:
        info = self._vars.get(path, {})
        shape = [int(n) for n in info.get("Shape", "").replace(" ", "").split(",") if n]
        out = {"shape": shape, "dtype": info.get("Type", "")}
        # ADIOS2 stores min/max for free, but writers that switch statistics off (openPMD-api
        # does by default) leave 0/0 there: report them only when they say something.
        low, high = _number(info.get("Min")), _number(info.get("Max"))
        if low is not None and high is not None and (low, high) != (0, 0):
            out.update(min=low, max=high)
        steps = int(info.get("AvailableStepsCount") or 1)
        if steps > 1:
            out["steps"] = steps
        return out

    def close(self) -> None:
        pass


def remove_profiling_files(name: str, since: float) -> None:
    """adios2 2.12 writes <name>_<hex>_profiling.json to the temp folder on every BP5 read
    (no setting stops it); remove the ones this read just made, so harvests leave no litter."""
    for folder in {Path(tempfile.gettempdir()), Path("/tmp")}:
        for leftover in folder.glob(f"{glob.escape(name)}_*_profiling.json"):
            try:
                if leftover.stat().st_mtime >= since - 1:
                    leftover.unlink()
            except OSError:
                pass


def _number(text):
    try:
        return json_value(float(text))
    except (TypeError, ValueError):
        return None
