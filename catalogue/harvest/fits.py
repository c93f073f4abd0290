"""FITS → DatasetDraft, headers only (astropy; pixel data is never touched here).

One dataset per file.  Every HDU header is read card by card (a card whose value does not parse
is skipped with a warning) and kept under ``scientific_metadata["fits"]["hdus"][<index>]``.  The
catalogue fields come from a merged view in which the first HDU that has a keyword wins (metadata
often lives only in an extension); where HDUs disagree on a catalogue keyword the draft warns and
lists the values under ``fits["conflicts"]``.  IVOA ObsCore-style search fields, with units, go
under ``scientific_metadata["obscore"]`` (plus the non-ObsCore ``filter``, ``coord_frame`` and
``equinox``; coordinates are as written, not precessed to ICRS).  Times without a zone are UTC,
FITS' default (TIMESYS is recorded when it says otherwise).
"""

from __future__ import annotations

import math
import re
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .draft import (
    DatasetDraft,
    ExtractionError,
    as_text,
    iso_to_mjd,
    json_value,
    leaf,
    mjd_to_iso,
    real_text,
    start_draft,
)
from .fits_cards import read_plain

_SKIPPED_KEYWORDS = frozenset({"", "COMMENT", "HISTORY"})
_WATCHED = ("OBJECT", "TELESCOP", "INSTRUME", "DATE-OBS", "EXPTIME", "EXPOSURE", "OBSERVER")
_UNIT_IN_COMMENT = re.compile(r"^\s*\[([^\]]{1,30})\]")
_WCS_CARD = re.compile(
    r"^(CTYPE|CRVAL|CRPIX|CDELT|CUNIT)[12]$|^(CD|PC)[12]_[12]$|^PV[12]_\d+$|^CROTA2$"
    r"|^(LONPOLE|LATPOLE|RADESYS|EQUINOX)$|^[AB]_(ORDER|\d+_\d+)$"
)
_OLD_DATE = re.compile(r"^(\d\d)/(\d\d)/(\d\d)$")  # dd/mm/yy, allowed for 1900-1999


class _Header:
    """The merged view: keyword → (value, hdu index), first HDU wins."""

    def __init__(self):
        self.values: dict[str, tuple[object, int]] = {}
        self.seen: dict[str, dict[str, object]] = {}

    def add(self, keyword: str, value, index: int) -> None:
        self.values.setdefault(keyword, (value, index))
        if keyword in _WATCHED:
            self.seen.setdefault(keyword, {}).setdefault(str(index), value)

    def get(self, *keywords, text: bool = False):
        for keyword in keywords:
            if keyword in self.values:
                value = self.values[keyword][0]
                if not text:
                    return value
                if isinstance(value, str) and real_text(value):
                    return real_text(value)
        return "" if text else None


def _read_headers(path: Path, draft: DatasetDraft) -> tuple[list[dict], _Header]:
    """(per-HDU card dicts, merged view)."""
    merged, hdus = _Header(), []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            plain = read_plain(path)
        except Exception:  # astropy reads it below, and says what is wrong with it
            plain = None
        if plain is None:
            _read_with_astropy(path, hdus, merged, draft)
        else:  # a plain file: the cards astropy would give, for a fraction of the cost
            for index, (kind, cards) in enumerate(plain):
                hdus.append(_read_cards(index, kind, cards, merged, draft))
    for warning in caught:
        text = str(warning.message)
        if "truncated" in text or "non-ASCII" in text:
            draft.warn(text[:200])
    return hdus, merged


def _read_with_astropy(path: Path, hdus: list, merged: _Header, draft: DatasetDraft) -> None:
    from astropy.io import fits  # lazy: astropy costs a second to import

    try:
        hdul = fits.open(path, lazy_load_hdus=True, memmap=False)
    except ModuleNotFoundError as exc:  # .Z (LZW) needs the optional uncompresspy
        raise ExtractionError(f"compressed FITS this server cannot open ({exc})") from exc
    except Exception as exc:
        raise ExtractionError(f"not a readable FITS file ({type(exc).__name__}: {exc})") from exc
    with hdul:
        index = 0
        while True:
            try:
                hdu = hdul[index]
                header = hdu.header
            except IndexError:
                break
            except Exception as exc:
                if index == 0:
                    raise ExtractionError(f"FITS primary header unreadable ({exc})") from exc
                draft.warn(f"HDU {index}: unreadable, later HDUs skipped ({exc})")
                break
            kind = type(hdu).__name__
            if kind == "_NonstandardHDU":
                draft.warn("SIMPLE = F: the file does not conform to FITS; header read anyway")
            hdus.append(_read_cards(index, kind, header.cards, merged, draft))
            index += 1


def _read_cards(index: int, kind: str, header_cards, merged: _Header, draft) -> dict:
    """One HDU's entry; header_cards are astropy Cards or fits_cards.PlainCards."""
    cards: dict[str, dict] = {}
    for card in header_cards:
        try:
            keyword = card.keyword
            if keyword in _SKIPPED_KEYWORDS:
                continue
            value = card.value
            comment = card.comment or ""
        except Exception as exc:  # astropy verifies a card only when its value is touched
            problem = type(exc).__name__
            draft.warn(f"HDU {index} card {card.keyword!r}: unparsable, skipped ({problem})")
            continue
        if type(value).__name__ == "Undefined":
            value = None
        merged.add(keyword, value, index)
        unit = _UNIT_IN_COMMENT.match(comment)
        node = leaf(value, unit.group(1).strip() if unit else "")
        name = keyword.replace(".", "_")
        if name in cards:  # a repeated keyword (ANNOTATE, ...): keep every value
            previous = cards[name]["value"]
            values = previous if isinstance(previous, list) else [previous]
            cards[name]["value"] = [*values, node["value"]]
        else:
            cards[name] = node
    extname = real_text((cards.get("EXTNAME") or {}).get("value", ""))
    name = extname or ("PRIMARY" if index == 0 else "")
    return {"index": index, "type": kind, "name": name, "cards": cards}


# --- times and coordinates -----------------------------------------------------------------


def fits_time(date, time_of_day=None) -> str:
    """DATE-OBS-like value (+ separate TIME-OBS) → ISO UTC, "" if unreadable."""
    text = real_text(date)
    if not text:
        return ""
    old = _OLD_DATE.match(text)
    if old:
        text = f"19{old.group(3)}-{old.group(2)}-{old.group(1)}"
    clock = real_text(time_of_day)
    if clock and "T" not in text:
        text = f"{text}T{clock}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def sexagesimal(value, hours: bool) -> float | None:
    """RA/DEC as degrees: numbers are degrees; "hh mm ss" / "hh:mm:ss" strings are hours (RA)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        return number if math.isfinite(number) else None
    text = as_text(value).strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    parts = re.split(r"[\s:hdmsHDM°'\"]+", text.strip("+- "))
    parts = [p for p in parts if p]
    if not 1 <= len(parts) <= 3:
        return None
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        return None
    magnitude = sum(n / 60**i for i, n in enumerate(numbers))
    sign = -1.0 if text.startswith("-") else 1.0
    return sign * magnitude * (15.0 if hours else 1.0)


def _wcs_centre(hdus: list[dict], draft: DatasetDraft) -> tuple[float, float] | None:
    """The sky position of the image centre, from the first HDU with an RA/DEC WCS.

    WCS is built from a header of only the celestial WCS cards: astropy's WCS parses every card
    it is given, and a full header made it the slowest step of a FITS harvest.
    """
    for hdu in hdus:
        ctype1, ctype2 = (str(_card(hdu, f"CTYPE{i}", "")).upper() for i in (1, 2))
        if not (ctype1.startswith("RA") and ctype2.startswith("DEC")):
            continue
        nx, ny = int(_card(hdu, "NAXIS1", 1)), int(_card(hdu, "NAXIS2", 1))
        crpix, crval = (
            (_card(hdu, "CRPIX1"), _card(hdu, "CRPIX2")),
            (_card(hdu, "CRVAL1"), _card(hdu, "CRVAL2")),
        )
        numbers = all(isinstance(v, int | float) for v in (*crpix, *crval))
        if numbers and abs(crpix[0] - (nx + 1) / 2) <= 1 and abs(crpix[1] - (ny + 1) / 2) <= 1:
            return float(crval[0]) % 360.0, float(crval[1])  # reference pixel at the centre
        try:
            from astropy.io.fits import Header
            from astropy.wcs import WCS

            cards = [(k, v["value"]) for k, v in hdu["cards"].items() if _WCS_CARD.match(k)]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wcs = WCS(Header([("NAXIS", 2), ("WCSAXES", 2), *cards]))
                ra, dec = wcs.all_pix2world([[(nx - 1) / 2, (ny - 1) / 2]], 0)[0]
        except Exception as exc:
            draft.warn(f"WCS unusable ({type(exc).__name__})")
            continue
        if math.isfinite(ra) and math.isfinite(dec):
            return float(ra) % 360.0, float(dec)
    return None


def _pointing(merged: _Header, hdus: list, draft: DatasetDraft) -> tuple[float, float] | None:
    centre = _wcs_centre(hdus, draft)
    if centre:
        return centre
    for ra_key, dec_key in (
        ("RA_TARG", "DEC_TARG"),
        ("RA_OBJ", "DEC_OBJ"),
        ("OBJCTRA", "OBJCTDEC"),
        ("RA_NOM", "DEC_NOM"),
        ("RA", "DEC"),
    ):
        ra = sexagesimal(merged.get(ra_key), hours=isinstance(merged.get(ra_key), str))
        dec = sexagesimal(merged.get(dec_key), hours=False)
        if ra is not None and dec is not None:
            return ra % 360.0, dec
    return None


def _times(merged: _Header, exposure) -> tuple[str, str]:
    start = (
        fits_time(merged.get("DATE-BEG"))
        or fits_time(merged.get("DATE-OBS"), merged.get("TIME-OBS", "UT", "UTSTART"))
        or mjd_to_iso(merged.get("MJD-BEG"))
        or mjd_to_iso(merged.get("MJD-OBS"))
        or mjd_to_iso(merged.get("EXPSTART"))
        or _relative(merged, "TSTART")
    )
    end = (
        fits_time(merged.get("DATE-END"), merged.get("TIME-END"))
        or mjd_to_iso(merged.get("MJD-END"))
        or mjd_to_iso(merged.get("EXPEND"))
        or _relative(merged, "TSTOP")
    )
    if not end and start and isinstance(exposure, int | float) and math.isfinite(exposure):
        end = (datetime.fromisoformat(start) + timedelta(seconds=float(exposure))).isoformat()
    return start, end


def _relative(merged: _Header, name: str) -> str:
    """TSTART/TSTOP (or their I/F split) after MJDREF (or MJDREFI+MJDREFF), in TIMEUNIT."""
    try:
        ref = merged.get("MJDREF")
        if ref is None and merged.get("MJDREFI") is not None:
            ref = float(merged.get("MJDREFI")) + float(merged.get("MJDREFF") or 0.0)
        offset = merged.get(name)
        if offset is None and merged.get(name + "I") is not None:
            offset = float(merged.get(name + "I")) + float(merged.get(name + "F") or 0.0)
        if ref is None or offset is None:
            return ""
        per_day = 1.0 if as_text(merged.get("TIMEUNIT") or "s").lower() == "d" else 86400.0
        return mjd_to_iso(float(ref) + float(offset) / per_day)
    except (TypeError, ValueError):
        return ""


# --- mapping -------------------------------------------------------------------------------


def _product_type(hdus: list[dict]) -> str:
    for hdu in hdus:
        cards = hdu["cards"]
        naxis = _card(hdu, "NAXIS", 0)
        if not _is_image(hdu):
            if "EVENT" in hdu["name"].upper():
                return "event"
            columns = [str(c.get("value")).upper() for k, c in cards.items() if k[:5] == "TTYPE"]
            if "TIME" in columns:
                return "timeseries"
        elif naxis:
            return {1: "spectrum", 2: "image"}.get(naxis, "cube")
    return ""


def extract(path) -> DatasetDraft:
    path = Path(path)
    draft = start_draft(path, "FITS")
    hdus, merged = _read_headers(path, draft)
    target = merged.get("OBJECT", "TARGNAME", "OBS_ID", text=True)
    telescope = merged.get("TELESCOP", "OBSERVAT", text=True)
    instrument = merged.get("INSTRUME", "DETECTOR", text=True)
    band = merged.get("FILTER", "FILTNAM1", "BAND", "FILTER1", "FILTER2", text=True)
    exposure = merged.get("XPOSURE", "EXPOSURE", "EXPTIME", "TELAPSE")
    exposure = (
        exposure if isinstance(exposure, int | float) and not isinstance(exposure, bool) else None
    )
    product = _product_type(hdus)
    start, end = _times(merged, exposure)
    pointing = _pointing(merged, hdus, draft)

    draft.dataset_name = target or path.name
    draft.start_time, draft.end_time = start, end
    created = fits_time(merged.get("DATE"))
    if created and created < "1979":  # FITS files were not written before 1979: a misread yy
        draft.warn(f"DATE {merged.get('DATE')!r} is implausible for a file date; mtime used")
        created = ""
    draft.creation_time = created or draft.creation_time
    draft.owner = merged.get("OBSERVER", "AUTHOR", "PI_NAME", text=True)
    draft.proposal_id = as_text(merged.get("PROPOSID", "PROPID", "PROGRAM", "PROG_ID"))
    draft.creation_location = "/".join(p for p in (telescope, instrument) if p)
    if instrument or telescope:
        facts = {"telescope": telescope, "detector": merged.get("DETECTOR", text=True)}
        draft.instrument = {
            "name": instrument or telescope,
            **{k: v for k, v in facts.items() if v},
        }
    draft.add_keywords(target, telescope, instrument, band, product)
    described = [
        product or "FITS data",
        f"of {target}" if target else "",
        f"with {draft.creation_location}" if draft.creation_location else "",
        f"(filter {band})" if band else "",
    ]
    draft.description = " ".join(p for p in described if p)
    image = next((h for h in hdus if _is_image(h) and _card(h, "NAXIS", 0) >= 2), None)
    draft.preview_source = f"HDU {image['index']}" if image else ""

    obscore = {
        "dataproduct_type": product,
        "obs_id": merged.get("OBS_ID", "ROOTNAME", text=True) or path.stem.removesuffix(".fits"),
        "target_name": target,
        "facility_name": telescope,
        "instrument_name": instrument,
        "obs_creator_name": draft.owner,
        "filter": band,
        "access_format": "application/fits",
        "coord_frame": merged.get("RADESYS", "RADECSYS", text=True),
    }
    obscore = {k: {"value": v} for k, v in obscore.items() if v}
    if pointing:
        obscore["s_ra"] = {"value": round(pointing[0], 7), "unit": "deg"}
        obscore["s_dec"] = {"value": round(pointing[1], 7), "unit": "deg"}
    for axis in (1, 2):
        size = _first_image_axis(hdus, axis)
        if size:
            obscore[f"s_xel{axis}"] = {"value": size}
    for name, moment in (("t_min", start), ("t_max", end)):
        if moment:
            obscore[name] = {"value": iso_to_mjd(moment), "unit": "d"}
    if exposure is not None:
        obscore["t_exptime"] = {"value": json_value(exposure), "unit": "s"}
    equinox = merged.get("EQUINOX", "EPOCH")
    if isinstance(equinox, int | float) and not isinstance(equinox, bool):
        obscore["equinox"] = {"value": json_value(equinox)}
    timesys = merged.get("TIMESYS", text=True)
    if timesys and timesys.upper() != "UTC":
        obscore["timesys"] = {"value": timesys}
    conflicts = {k: v for k, v in merged.seen.items() if len({repr(x) for x in v.values()}) > 1}
    for keyword, values in conflicts.items():
        draft.warn(
            f"HDUs disagree on {keyword}: {', '.join(f'{i}={v!r}' for i, v in values.items())}"
        )
    fits_meta = {"hdus": {str(h["index"]): h for h in hdus}}
    if conflicts:
        fits_meta["conflicts"] = json_value_dict(conflicts)
    draft.scientific_metadata = {"obscore": obscore, "fits": fits_meta}
    return draft


def json_value_dict(conflicts: dict) -> dict:
    return {k: {i: json_value(v) for i, v in values.items()} for k, values in conflicts.items()}


def _first_image_axis(hdus: list[dict], axis: int) -> int | None:
    for hdu in hdus:
        size = _card(hdu, f"NAXIS{axis}")
        if _is_image(hdu) and isinstance(size, int) and size > 0:
            return size
    return None


def _is_image(hdu: dict) -> bool:
    return hdu["type"] not in ("BinTableHDU", "TableHDU", "GroupsHDU")


def _card(hdu: dict, keyword: str, default=None):
    value = (hdu["cards"].get(keyword) or {}).get("value", default)
    return default if value is None else value
