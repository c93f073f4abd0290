"""The FITS fast path (fits_cards.read_plain) gives the cards astropy gives, or declines."""

import math
import warnings
from pathlib import Path

import astropy
import numpy as np
import pytest
from astropy.io import fits as afits

from catalogue.harvest import fits
from catalogue.harvest.fits_cards import read_plain

from .conftest import raw_fits

ASTROPY_FILES = sorted(Path(astropy.__file__).parent.glob("**/tests/data/**/*.fits"))
PRIMARY = ["SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =    0"]


def astropy_cards(path) -> list[tuple]:
    """(HDU type, [(keyword, value, comment)]) per HDU, as the extractor reads astropy."""
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with afits.open(path, lazy_load_hdus=True, memmap=False) as hdul:
            for hdu in hdul:
                out.append((type(hdu).__name__, _fields(hdu.header.cards)))
    return out


def plain_cards(path) -> list[tuple] | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = read_plain(path)
    return None if plain is None else [(kind, _fields(cards)) for kind, cards in plain]


def _fields(cards) -> list[tuple]:
    out = []
    for card in cards:
        if card.keyword in ("", "COMMENT", "HISTORY"):
            continue
        try:
            value = card.value
        except Exception as exc:  # an unparsable card: both readers must fail on it
            value = type(exc).__name__
        if type(value).__name__ == "Undefined":
            value = None
        if isinstance(value, float) and math.isnan(value):
            value = "nan"
        out.append((card.keyword, type(value).__name__, value, card.comment))
    return out


@pytest.mark.parametrize("path", ASTROPY_FILES, ids=lambda p: p.name)
def test_astropy_test_files_read_the_same_or_are_left_to_astropy(path):
    plain = plain_cards(path)

    assert plain is None or plain == astropy_cards(path)


def test_most_of_astropys_test_files_take_the_fast_path():
    taken = [path for path in ASTROPY_FILES if plain_cards(path) is not None]

    assert len(ASTROPY_FILES) > 20
    assert len(taken) > len(ASTROPY_FILES) / 2


def write(tmp_path, cards, data_blocks=0, extra=b"") -> Path:
    path = tmp_path / "cards.fits"
    path.write_bytes(raw_fits(cards, data_blocks) + extra)
    return path


def test_card_values_of_every_plain_kind_match_astropy(tmp_path):
    path = write(
        tmp_path,
        [
            *PRIMARY,
            "STR     = 'M 51    '           / [deg] padded string",
            "QUOTE   = 'it''s'",
            "EMPTY   = ''",
            "BLANKS  = '    '",
            "BOOL    =                    F / flag",
            "INT     =                  007",
            "NEG     =                -12 /",
            "FLOAT   =              1.5D-03",
            "FLOAT2  =                 +.5E2",
            "FLOAT3  = 1.e5",
            "SPACED  =             - 1.5 E 3",
            "UNDEF   =                      / no value",
            "DUP     = 1",
            "DUP     = 2",
            "SLASH   = 'a/b' / c",
        ],
    )

    plain = plain_cards(path)

    assert plain is not None
    assert plain == astropy_cards(path)


@pytest.mark.parametrize(
    "card",
    [
        "RVKC    = 'AXIS.1: 2'",  # a record-valued keyword card
        "CPLX    = (1.0, 2.0)",
        "lower   = 1",
        "HIERARCH ESO DET CHIP = 'x'",
        "NOEQ     1",
        "BAD     = 1.2.3",
    ],
)
def test_cards_it_does_not_parse_are_read_by_astropy_alone(tmp_path, card):
    path = write(tmp_path, [*PRIMARY, "OBJECT  = 'M 51'", card])

    plain = plain_cards(path)

    assert plain is not None
    assert plain == astropy_cards(path)


@pytest.mark.parametrize(
    "cards, data_blocks, extra",
    [
        ([*PRIMARY, "LONG    = 'abc&'", "CONTINUE  'def'"], 0, b""),
        ([*PRIMARY, "GROUPS  =                    T"], 0, b""),
        (["SIMPLE  =                    F", "BITPIX  = 8", "NAXIS   = 0"], 0, b""),
        ([*PRIMARY[:2], "NAXIS   = 1", "NAXIS1  = 4000"], 0, b""),  # truncated data
        (PRIMARY, 0, b"garbage after the last HDU".ljust(2880)),
        ([*PRIMARY, "OBJECT  = 'caf\xe9'"], 0, b""),  # non-ASCII
        ([*PRIMARY, "naxis1  = 3"], 0, b""),  # a layout card astropy reads differently
        ([*PRIMARY, "END     = 3"], 0, b""),  # astropy's invalid END
    ],
)
def test_files_it_is_not_sure_of_are_left_to_astropy(tmp_path, cards, data_blocks, extra):
    path = write(tmp_path, cards, data_blocks, extra)

    assert plain_cards(path) is None


def test_an_extension_without_extend_in_the_primary_is_left_to_astropy(tmp_path):
    extension = raw_fits(["XTENSION= 'IMAGE   '", "BITPIX  = 8", "NAXIS   = 0"])
    without = write(tmp_path, PRIMARY, extra=extension)
    assert plain_cards(without) is None

    with_extend = tmp_path / "extend.fits"
    with_extend.write_bytes(raw_fits([*PRIMARY, "EXTEND  = T"]) + extension)
    assert plain_cards(with_extend) == astropy_cards(with_extend)


def test_multi_extension_files_written_by_astropy_take_the_fast_path(tmp_path):
    table = afits.BinTableHDU.from_columns(
        [afits.Column(name="TIME", format="D", array=np.arange(3.0))], name="EVENTS"
    )
    image = afits.ImageHDU(np.zeros((5, 7), dtype="i2"), name="SCI")
    path = tmp_path / "mef.fits"
    afits.HDUList([afits.PrimaryHDU(), image, table]).writeto(path)

    plain = plain_cards(path)

    assert [kind for kind, _ in plain] == ["PrimaryHDU", "ImageHDU", "BinTableHDU"]
    assert plain == astropy_cards(path)


def test_the_draft_is_the_same_through_either_reader(tmp_path, monkeypatch):
    path = write(
        tmp_path,
        [
            *PRIMARY[:2],
            "NAXIS   = 2",
            "NAXIS1  = 30",
            "NAXIS2  = 96",
            "OBJECT  = 'NGC 1316'",
            "EXPTIME = 12.5 / [s] exposure",
            "DATE-OBS= '2001-02-03T04:05:06'",
            "BAD     = 1.2.3",
        ],
        data_blocks=1,
    )
    fast = fits.extract(path)
    monkeypatch.setattr(fits, "read_plain", lambda path: None)

    slow = fits.extract(path)

    assert fast.scientific_metadata["fits"]["hdus"]["0"]["cards"]["EXPTIME"]["unit"] == "s"
    assert fast == slow
