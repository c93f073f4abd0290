"""DatasetDraft, ExtractionError, and the format-neutral value helpers the extractors share.

Real files write the same fact in many layouts (bytes or str, scalar or 1-element array, NUL
padding, Latin-1 inside "ASCII", a dozen time formats, unit spellings SciCat cannot parse).  The
helpers here turn each into one JSON-safe shape, so the extractors stay about mapping, not decoding.

Every extracted metadata leaf has the SciCat quantity shape ``{"value": v}`` plus ``"unit"`` when
the source names one (and ``"unit_raw"`` when the spelling was tidied).  SI annotation is NOT done
here: the services add valueSI/unitSI on write.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from stat import S_ISDIR

import numpy as np

MAX_STRING = 4096  # characters kept of one string value; longer ones are cut and marked
MAX_WARNINGS = 100
EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_PLACEHOLDER_WORDS = frozenset(
    {"", "default", "unknown", "none", "null", "n/a", "na", "?", "-", "undefined", "not set"}
)
_TEMPLATE = re.compile(r"^\{.*\}$", re.S)


class ExtractionError(Exception):
    """The file cannot be read as the format at all; ``reason`` says why, for people."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class DatasetDraft:
    """What one extractor learnt about one dataset (a file, or an openPMD series), before any DB.

    Times are ISO-8601 strings: aware times normalised to UTC, naive ones kept naive (the writer's
    zone is unknown; a warning says so).  ``instrument`` and ``sample`` are drafts of the related
    entities (``to_instrument_data`` / ``to_sample_data``); the dataset itself only gets their
    names through ``creation_location`` and keywords, because their ids exist only once stored.
    """

    data_format: str  # "NeXus" | "FITS" | "openPMD"
    dataset_name: str = ""
    description: str = ""
    type: str = "raw"
    creation_time: str = ""
    start_time: str = ""
    end_time: str = ""
    owner: str = ""
    owner_email: str = ""
    principal_investigators: list[str] = field(default_factory=list)
    contact_email: str = ""
    creation_location: str = ""
    source_folder: str = ""
    run_number: str = ""
    proposal_id: str = ""
    keywords: list[str] = field(default_factory=list)
    techniques: list[dict] = field(default_factory=list)  # [{"pid", "name"}]
    used_software: list[str] = field(default_factory=list)
    scientific_metadata: dict = field(default_factory=dict)
    instrument: dict = field(default_factory=dict)  # {"name", ...facts}
    sample: dict = field(
        default_factory=dict
    )  # {"name", "description", "type", "sample_characteristics"}
    files: list[dict] = field(default_factory=list)  # [{"path" (relative), "size", "time"}]
    warnings: list[str] = field(default_factory=list)
    preview_source: str = ""  # where make_preview should look (HDF5 path, "HDU n", mesh path)

    def warn(self, message: str) -> None:
        if message not in self.warnings and len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)

    def add_keywords(self, *words) -> None:
        for word in words:
            word = as_text(word)
            if word and not is_placeholder(word) and word not in self.keywords:
                self.keywords.append(word[:255])

    def add_technique(self, technique: dict | None) -> None:
        if technique and all(t["pid"] != technique["pid"] for t in self.techniques):
            self.techniques.append({"pid": technique["pid"], "name": technique["name"]})

    def add_file(self, path: Path) -> None:
        """Lists a file (stat only), or every file of a directory (an ADIOS2 .bp series is one);
        paths are relative to source_folder."""
        path = Path(path)
        root = Path(self.source_folder or path.parent)
        for member in (
            sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        ):
            info = file_info(member, root)
            if info and all(f["path"] != info["path"] for f in self.files):
                self.files.append(info)

    def to_dataset_data(self) -> dict:
        """Keyword data for ``dataset_create(data=...)``: Dataset field names, empties left out.

        The caller adds what only the harvest configuration knows (owner_group, access_groups)
        and fallbacks for required fields a file may lack (owner, contact_email).  size and
        number_of_files are left to the OrigDatablock built from ``files``.
        """
        data = {
            "type": self.type,
            "data_format": self.data_format,
            "dataset_name": self.dataset_name[:500],
            "description": self.description,
            "creation_time": self.creation_time,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "owner": self.owner[:255],
            "owner_email": self.owner_email if EMAIL_RE.match(self.owner_email) else "",
            "contact_email": self.contact_email if EMAIL_RE.match(self.contact_email) else "",
            "principal_investigators": list(self.principal_investigators),
            "creation_location": self.creation_location[:255],
            "source_folder": self.source_folder,
            "run_number": self.run_number[:255],
            "proposal_ids": [self.proposal_id] if self.proposal_id else [],
            "keywords": list(self.keywords),
            "techniques": [dict(t) for t in self.techniques],
            "used_software": list(self.used_software),
            "scientific_metadata": self.scientific_metadata,
        }
        return {name: value for name, value in data.items() if value not in ("", None, [], {})}

    def to_sample_data(self) -> dict:
        """Keyword data for ``sample_create`` (no sample_id: the service chooses it), or {}."""
        if not self.sample:
            return {}
        characteristics = dict(self.sample.get("sample_characteristics") or {})
        if self.sample.get("name"):
            characteristics.setdefault("name", {"value": self.sample["name"]})
        data = {
            "description": self.sample.get("description") or self.sample.get("name", ""),
            "type": self.sample.get("type", ""),
            "sample_characteristics": characteristics,
        }
        return {name: value for name, value in data.items() if value}

    def to_instrument_data(self) -> dict:
        """Keyword data for ``instrument_create`` (unique_name = name), or {} when unnamed."""
        name = self.instrument.get("name", "")
        if not name:
            return {}
        extra = {k: v for k, v in self.instrument.items() if k != "name"}
        return {"name": name, "unique_name": name, "custom_metadata": extra}


# --- strings -------------------------------------------------------------------------------


def _decode(raw: bytes) -> str:
    # UTF-8 first; Latin-1 never fails and is what writers that put a bare 0xB5 (µ) meant.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def as_text(value) -> str:
    """Any string layout (bytes, str, numpy scalar, 1-element array) as clean text; "" if none.

    Numbers become their decimal text (run numbers are written as ints too).
    """
    if isinstance(value, np.ndarray):
        if value.size != 1:
            return ""
        value = value.reshape(-1)[0]
    elif isinstance(value, list | tuple):
        if len(value) != 1:
            return ""
        value = value[0]
    if isinstance(value, bytes | np.bytes_):
        text = _decode(bytes(value))
    elif isinstance(value, str):
        text = str(value)
        # h5py's surrogateescape of bad UTF-8 (isascii first: it is the common case, in C)
        if not text.isascii() and any("\udc80" <= ch <= "\udcff" for ch in text):
            text = _decode(text.encode("utf-8", "surrogateescape"))
    elif isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    elif isinstance(value, int | np.integer):
        return str(int(value))
    elif isinstance(value, float | np.floating) and math.isfinite(value):
        return repr(float(value))
    else:
        return ""
    text = text.replace("\x00", " ").strip()
    return text[:MAX_STRING] + "…" if len(text) > MAX_STRING else text


def is_placeholder(text: str) -> bool:
    """Blank, "UNKNOWN"-like, or a template left unfilled such as "{File name of ...}"."""
    text = text.strip()
    return text.lower() in _PLACEHOLDER_WORDS or bool(_TEMPLATE.match(text))


def real_text(value) -> str:
    """as_text, but "" for placeholders: what may be mapped to a catalogue field."""
    text = as_text(value)
    return "" if is_placeholder(text) else text


# --- values --------------------------------------------------------------------------------


def json_value(value):
    """A JSON- and PostgreSQL-safe copy: numpy to Python, bytes to text, NaN/inf to None."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "SUO" or value.dtype.names:
            return [json_value(v) for v in value.tolist()]
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    if isinstance(value, bytes | np.bytes_ | str):
        return as_text(value)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.void) and value.dtype.names:
        return {name: json_value(value[name]) for name in value.dtype.names}
    if value is None:
        return None
    return as_text(str(value))


def leaf(value, unit: str = "", **extra) -> dict:
    """One metadata leaf: {"value"} plus "unit" and any extra facts (shape, dtype, ...)."""
    out = {"value": json_value(value)}
    if unit:
        out["unit"] = unit
    out.update({k: v for k, v in extra.items() if v not in (None, "")})
    return out


# --- units ---------------------------------------------------------------------------------

_UNIT_ALIASES = {
    "angstrom": "angstrom",
    "angstroms": "angstrom",
    "angstroem": "angstrom",
    "ångström": "angstrom",
    "å": "angstrom",
    "degrees": "deg",
    "degree": "deg",
    "microseconds": "us",
    "microsecond": "us",
    "rad": "rad",
    "1/å": "1/angstrom",
}
_ANGSTROM_FIELDS = ("wavelength", "lambda", "d_spacing", "lattice")


def clean_unit(raw, field_name: str = "") -> tuple[str, str]:
    """(unit, unit_raw): a spelling SciCat's unit parser understands, and the original if changed.

    Drops blanks and NeXus category placeholders (NX_TIME), unwraps 1-element arrays, folds
    ångström/degree/µ spellings; "A" on a wavelength-like field means ångström, not ampere.
    """
    text = as_text(raw)
    if not text or text.upper().startswith("NX_"):
        return "", text
    unit = _UNIT_ALIASES.get(text.lower(), text)
    unit = unit.replace("µ", "u").replace("μ", "u").replace("Å", "angstrom")
    if unit == "A" and any(word in field_name.lower() for word in _ANGSTROM_FIELDS):
        unit = "angstrom"
    return unit, (text if unit != text else "")


# --- times ---------------------------------------------------------------------------------

_EXTRA_TIME_FORMATS = (
    "%a %b %d %H:%M:%S %Y",  # ctime(), written by old NAPI tools
    "%d-%b-%Y %H:%M:%S",  # 07-Feb-2001 08:54:21
    "%Y/%m/%d %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%z",
)
_MJD_EPOCH = datetime(1858, 11, 17, tzinfo=UTC)


def iso(moment: datetime) -> str:
    """ISO 8601; aware times in UTC, naive ones as written."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.isoformat()


def parse_time(raw) -> tuple[str, str]:
    """(iso, problem): the time normalised (aware → UTC) or "", and what was odd about it.

    Python 3.11's fromisoformat reads the usual variants (Z, ±HHMM without colon, a space before
    the offset); a few legacy layouts are tried next.  problem is "" for a clean aware time,
    "no time zone" for a naive one, "unreadable" otherwise ("" input gives ("", "")).
    """
    text = real_text(raw)
    if not text:
        return "", ""
    text = re.sub(r"\s*(UTC|GMT)$", "+00:00", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
        for layout in _EXTRA_TIME_FORMATS:
            try:
                moment = datetime.strptime(text, layout)
                break
            except ValueError:
                continue
    if moment is None:
        return "", "unreadable"
    return iso(moment), ("" if moment.tzinfo else "no time zone")


def mjd_to_iso(mjd) -> str:
    """Modified Julian Date (days) → ISO UTC; "" if not a finite number."""
    try:
        days = float(mjd)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(days) or abs(days) > 3e6:
        return ""
    return iso(_MJD_EPOCH + timedelta(days=days))


def iso_to_mjd(text: str) -> float | None:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round((moment - _MJD_EPOCH).total_seconds() / 86400.0, 8)


# --- files ---------------------------------------------------------------------------------


def file_info(path: Path, root: Path) -> dict | None:
    """{path relative to root, size, time = mtime in RFC 3339 UTC}; None if it cannot be stat'ed.

    mtime, not ctime: it survives copies and restores, and is what PSI's ingestor records.
    """
    try:
        stat = path.stat()
    except OSError:
        return None
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        relative = Path(os.path.relpath(path, root)).as_posix()
    return _info(stat, relative)


def _info(stat: os.stat_result, relative: str) -> dict:
    moment = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
    return {
        "path": relative,
        "size": stat.st_size,
        "time": moment.isoformat().replace("+00:00", "Z"),
    }


def start_draft(path: Path, data_format: str) -> DatasetDraft:
    """A draft with the facts every format shares: folder, file entry, name and mtime fallbacks."""
    path = Path(path).absolute()
    draft = DatasetDraft(data_format=data_format, source_folder=str(path.parent))
    draft.dataset_name = path.name
    try:
        stat = path.stat()  # once: the file entry and the mtime fallback share it
    except OSError:
        return draft
    info = _info(stat, path.name)  # relative to its own folder
    if S_ISDIR(stat.st_mode):
        draft.add_file(path)  # a .bp directory: its files; its own mtime is when the series ended
    else:
        draft.files.append(info)
    draft.creation_time = info["time"].replace("Z", "+00:00")
    return draft
