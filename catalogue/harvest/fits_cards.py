"""Plain FITS headers read without astropy's per-card machinery: the FITS harvest's fast path.

astropy reads a header card by card through its configuration system (three configuration
lookups per card) and builds an HDU object per header; for a plain file that is most of what a
FITS harvest costs. ``read_plain`` reads the 2,880-byte header blocks itself and parses each
card with astropy's own value rules (its regular expressions, copied below), so the keywords,
values and comments are the ones ``fits.open(...)[i].header.cards`` gives.

It reads only files it is sure of, and answers None for anything else, which the caller then
reads with astropy as before: compression, SIMPLE = F, random groups, tile-compressed images,
an extension other than IMAGE, TABLE or BINTABLE, a non-printable or non-ASCII byte, CONTINUE
cards, an odd END card, a primary header astropy would give an EXTEND card, bytes after the
last HDU, a file shorter than its headers say. A card it cannot parse itself (HIERARCH, a
complex or record-valued value, a non-standard layout) is handed to astropy's ``Card`` alone.
tests/catalogue/harvest/test_fits_cards.py compares both readers on astropy's own test files.
"""

from __future__ import annotations

import os
import re

BLOCK = 2880
CARD = 80
END_CARD = "END" + " " * 77
EXTENSIONS = {"IMAGE": "ImageHDU", "BINTABLE": "BinTableHDU", "TABLE": "TableHDU"}
MAX_HEADER_BLOCKS = 1000  # 36,000 cards: past that, astropy decides
# Cards that decide the layout (HDU type, data size): one astropy would read differently from
# this module (a lower-case "naxis1 =" ...) sends the whole file to astropy.
_STRUCTURE = frozenset({"SIMPLE", "XTENSION", "BITPIX", "NAXIS", "PCOUNT", "GCOUNT", "EXTEND"})
_STRUCTURE_PREFIXES = ("NAXIS", "GROUPS", "ZIMAGE", "CONTINUE", "END")

_PRINTABLE = re.compile(rb"[ -~]*")
_STANDARD_KEYWORD = re.compile(r"[A-Z0-9_-]{1,8} *")  # the first 8 columns of a plain card
_INVALID_END = re.compile(r"END {0,76}[^A-Z0-9_-]")  # astropy ends the header there too
# astropy.io.fits.card.Card._value_NFSC_RE and _number_NFSC_RE (astropy 6 to 8).
_DIGITS = r"(\.\d+|\d+(\.\d*)?) *([deDE] *[+-]? *\d+)?"
_NUMBER = r"[+-]? *" + _DIGITS
_STRING = r"\'(?P<strg>([ -~]+?|\'\'|) *?)\'(?=$|/| )"
_VALUE = re.compile(
    r"(?P<value_field> *(?P<value>"
    rf"{_STRING}|(?P<bool>[FT])|(?P<numr>{_NUMBER})|"
    rf"(?P<cplx>\( *(?P<real>{_NUMBER}) *, *(?P<imag>{_NUMBER}) *\))"
    r")? *)(?P<comm_field>(?P<sepr>/ *)(?P<comm>(.|\n)*))?$"
)
_NUMBER_PARTS = re.compile(rf"(?P<sign>[+-])? *0*?(?P<digt>{_DIGITS})")
_TO_PYTHON_FLOAT = str.maketrans("dD", "eE", " ")


class PlainCard:
    """One parsed card: what ``_read_cards`` reads of an astropy Card."""

    __slots__ = ("comment", "keyword", "value")

    def __init__(self, keyword: str, value, comment: str):
        self.keyword, self.value, self.comment = keyword, value, comment


def parse_card(image: str, strip: bool) -> PlainCard | None:
    """A standard ``KEYWORD = value / comment`` card as astropy reads it; None when astropy must.

    `strip`: astropy's conf.strip_header_whitespace (string values lose trailing blanks).
    Undefined values are None (astropy's UNDEFINED, which the extractor maps to None too).
    """
    if image[8:10] != "= " or not _STANDARD_KEYWORD.fullmatch(image, 0, 8):
        return None
    keyword = image[:8].rstrip()
    match = _VALUE.match(image[10:].strip())
    if match is None or keyword in ("COMMENT", "HISTORY", "CONTINUE", "END"):
        return None
    if match["bool"] is not None:
        value = match["bool"] == "T"
    elif (text := match["strg"]) is not None:
        if ": " in text:  # may be a record-valued keyword card ('AXIS.1: 2'): astropy's call
            return None
        value = text.replace("''", "'")
        if strip:
            value = value.rstrip()
    elif match["numr"] is not None:
        parts = _NUMBER_PARTS.match(match["numr"])
        digits = (parts["sign"] or "") + parts["digt"].translate(_TO_PYTHON_FLOAT)
        try:
            value = int(digits)
        except ValueError:
            value = float(digits)
    elif match["cplx"] is not None:
        return None
    else:
        value = None
    comment = match["comm"]
    return PlainCard(keyword, value, comment.rstrip() if comment else "")


def read_plain(path) -> list[tuple[str, list]] | None:
    """[(HDU type name, cards)] of a plain FITS file; cards are PlainCards, or astropy Cards
    for the few this module does not parse. None: read the file with astropy (module doc)."""
    from astropy.io.fits import conf

    strip = conf.strip_header_whitespace
    hdus = []
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        offset = 0
        while offset < size:
            handle.seek(offset)
            images = _header_images(handle)
            if images is None:
                return None
            offset += (len(images) // 36 + 1) * BLOCK  # images holds every card but END
            hdu = _hdu(images, strip, first=not hdus)
            if hdu is None:
                return None
            kind, cards, data_size = hdu
            offset += data_size + (-data_size % BLOCK)
            if offset > size:  # astropy warns that the file may have been truncated
                return None
            hdus.append((kind, cards))
    if len(hdus) > 1 and not _first(hdus[0][1], "EXTEND"):
        return None  # astropy adds or sets EXTEND = T in the primary header it gives
    return hdus


def _header_images(handle) -> list[str] | None:
    """The card images of the header at the handle, END excluded (all blocks' cards, padding
    included, so their count gives the header's size)."""
    images: list[str] = []
    for _ in range(MAX_HEADER_BLOCKS):
        block = handle.read(BLOCK)
        if len(block) < BLOCK or not _PRINTABLE.fullmatch(block):
            return None
        text = block.decode("ascii")
        for start in range(0, BLOCK, CARD):
            image = text[start : start + CARD]
            if image[:3] == "END":
                if image == END_CARD:
                    return images
                if _INVALID_END.match(image):
                    return None
            images.append(image)
    return None


def _hdu(images: list[str], strip: bool, first: bool) -> tuple[str, list, int] | None:
    """(type name, cards, data size in bytes) of one header, or None."""
    from astropy.io.fits import Card

    if not images:
        return None
    if first:
        if images[0][:30] != "SIMPLE  =                    T":
            return None
        kind = "PrimaryHDU"
    else:
        card = parse_card(images[0], strip)
        if card is None or card.keyword != "XTENSION" or not isinstance(card.value, str):
            return None
        kind = EXTENSIONS.get(card.value.rstrip())
        if kind is None:
            return None
    cards = []
    for image in images:
        if image[:8] in ("COMMENT ", "HISTORY ", "        "):
            continue  # commentary: the extractor skips it
        card = parse_card(image, strip)
        if card is None:
            card = Card.fromstring(image)
            try:
                keyword = card.keyword
            except Exception:
                return None
            if keyword in _STRUCTURE or keyword.startswith(_STRUCTURE_PREFIXES):
                return None
        elif card.keyword.startswith(("GROUPS", "ZIMAGE")):
            return None
        cards.append(card)
    size = _data_size(cards)
    return None if size is None else (kind, cards, size)


def _first(cards: list, keyword: str, default=None):
    """The value of the first card with this keyword, as astropy's Header.get gives it."""
    for card in cards:
        if card.keyword == keyword:
            return card.value
    return default


def _data_size(cards: list) -> int | None:
    """astropy's _hdr_data_size, with every value it uses checked to be a plain int."""
    values: dict[str, object] = {}
    for card in cards:
        if type(card) is PlainCard:
            values.setdefault(card.keyword, card.value)
    naxis = values.get("NAXIS", 0)
    bitpix = values.get("BITPIX")
    if type(naxis) is not int or not 0 <= naxis <= 999 or type(bitpix) is not int:
        return None
    if bitpix not in (8, 16, 32, 64, -32, -64):
        return None
    if naxis == 0:
        return 0
    size = 1
    for axis in range(1, naxis + 1):
        length = values.get(f"NAXIS{axis}")
        if type(length) is not int or length < 0:
            return None
        size *= length
    gcount, pcount = values.get("GCOUNT", 1), values.get("PCOUNT", 0)
    if type(gcount) is not int or type(pcount) is not int:
        return None
    return abs(bitpix) * gcount * (pcount + size) // 8
