"""FITS extractor: generated pitfall files (formats.md §2) and the real sample files."""

import bz2
import gzip
import json

import numpy as np
import pytest
from astropy.io import fits as afits

from catalogue.harvest import fits
from catalogue.harvest.draft import ExtractionError

from .conftest import raw_fits


def obscore(draft):
    return draft.scientific_metadata["obscore"]


def image_hdu(**cards):
    hdu = afits.PrimaryHDU(np.arange(64 * 48, dtype="f4").reshape(48, 64))
    for key, value in cards.items():
        hdu.header[
            key.replace("_", "-") if key in ("DATE_OBS", "TIME_OBS", "DATE_END") else key
        ] = value
    return hdu


def test_image_maps_to_catalogue_and_obscore_fields(fits_file):
    path = fits_file(
        [
            image_hdu(
                OBJECT="M 51",
                TELESCOP="INT",
                INSTRUME="WFC",
                OBSERVER="C. Messier",
                DATE_OBS="2020-04-01T22:10:00",
                EXPTIME=300.0,
                FILTER="r",
                RA="13:29:52.7",
                DEC="+47:11:43",
                RADESYS="ICRS",
            )
        ]
    )

    draft = fits.extract(path)
    core = obscore(draft)

    assert draft.data_format == "FITS"
    assert draft.dataset_name == "M 51"
    assert draft.owner == "C. Messier"
    assert draft.creation_location == "INT/WFC"
    assert draft.start_time == "2020-04-01T22:10:00+00:00"
    assert draft.end_time == "2020-04-01T22:15:00+00:00"  # start + exposure
    assert core["target_name"] == {"value": "M 51"}
    assert core["s_ra"] == {"value": pytest.approx(202.46958, abs=1e-4), "unit": "deg"}
    assert core["s_dec"] == {"value": pytest.approx(47.19528, abs=1e-4), "unit": "deg"}
    assert core["t_exptime"] == {"value": 300.0, "unit": "s"}
    assert core["t_min"] == {"value": pytest.approx(58940.92361, abs=1e-5), "unit": "d"}
    assert core["filter"] == {"value": "r"}
    assert core["dataproduct_type"] == {"value": "image"}
    assert (core["s_xel1"], core["s_xel2"]) == ({"value": 64}, {"value": 48})
    assert set(draft.keywords) >= {"M 51", "INT", "WFC", "r"}
    assert draft.preview_source == "HDU 0"
    json.dumps(draft.scientific_metadata, allow_nan=False)


def test_metadata_only_in_an_extension_is_found(fits_file):
    table = afits.BinTableHDU.from_columns(
        [afits.Column(name="TIME", format="D", array=np.arange(3.0))]
    )
    table.header.update({"OBJECT": "Cyg X-1", "TELESCOP": "XMM", "DATE-OBS": "2001-05-06T07:08:09"})

    draft = fits.extract(fits_file([afits.PrimaryHDU(), table]))

    assert draft.dataset_name == "Cyg X-1"
    assert draft.start_time == "2001-05-06T07:08:09+00:00"
    assert obscore(draft)["dataproduct_type"] == {"value": "timeseries"}


def test_conflicting_hdus_warn_and_the_primary_wins(fits_file):
    extension = afits.ImageHDU(np.zeros((2, 2)))
    extension.header["OBJECT"] = "grs1915+105"

    draft = fits.extract(
        fits_file([afits.PrimaryHDU(header=afits.Header({"OBJECT": "NGC 1316"})), extension])
    )

    assert draft.dataset_name == "NGC 1316"
    assert draft.scientific_metadata["fits"]["conflicts"]["OBJECT"] == {
        "0": "NGC 1316",
        "1": "grs1915+105",
    }
    assert any("OBJECT" in w for w in draft.warnings)


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress], ids=["gzip", "bzip2"])
def test_whole_file_compression_is_read(fits_file, tmp_path, compress):
    plain = fits_file([image_hdu(OBJECT="zipped")])
    packed = tmp_path / "image.fits.packed"
    packed.write_bytes(compress(plain.read_bytes()))

    assert fits.extract(packed).dataset_name == "zipped"


def test_tile_compressed_image_header_is_rebuilt(fits_file):
    compressed = afits.CompImageHDU(np.ones((40, 30), dtype="i2"), compression_type="RICE_1")
    compressed.header["OBJECT"] = "tiles"

    draft = fits.extract(fits_file([afits.PrimaryHDU(), compressed], name="image.fits.fz"))

    assert draft.dataset_name == "tiles"
    assert (obscore(draft)["s_xel1"], obscore(draft)["s_xel2"]) == ({"value": 30}, {"value": 40})
    assert draft.preview_source == "HDU 1"


def test_hierarch_continue_checksum_and_commentary_cards(fits_file):
    hdu = image_hdu(OBJECT="long")
    hdu.header["HIERARCH ESO DET CHIP NAME"] = "CCD-44"
    hdu.header["LONGSTR"] = "x" * 150  # written with CONTINUE cards
    hdu.header["COMMENT"] = "a comment"
    hdu.header["HISTORY"] = "a history line"
    hdu.add_checksum()

    cards = fits.extract(fits_file([hdu])).scientific_metadata["fits"]["hdus"]["0"]["cards"]

    assert cards["ESO DET CHIP NAME"] == {"value": "CCD-44"}
    assert cards["LONGSTR"] == {"value": "x" * 150}
    assert "CHECKSUM" in cards and "DATASUM" in cards
    assert "COMMENT" not in cards and "HISTORY" not in cards


def test_unit_in_a_card_comment_is_kept(fits_file):
    hdu = image_hdu()
    hdu.header["CCDTEMP"] = (-110.5, "[degC] detector temperature")

    cards = fits.extract(fits_file([hdu])).scientific_metadata["fits"]["hdus"]["0"]["cards"]

    assert cards["CCDTEMP"] == {"value": -110.5, "unit": "degC"}


def test_bad_cards_are_skipped_with_a_warning(tmp_path):
    path = tmp_path / "plate.fits"
    path.write_bytes(
        raw_fits(
            [
                "SIMPLE  =                    T",
                "BITPIX  =                   16",
                "NAXIS   =                    0",
                "OBJECT  = 'plate 1'",
                "SKEW    = 1.0.0 / malformed number",
                "BADSTR  = 'unterminated",
                "BIGINT  = 123456789012345678901234567890",
                "NONASCII= 'caf\xe9'",
            ]
        )
    )

    draft = fits.extract(path)
    cards = draft.scientific_metadata["fits"]["hdus"]["0"]["cards"]

    assert draft.dataset_name == "plate 1"
    assert "SKEW" not in cards and "BADSTR" not in cards
    assert cards["BIGINT"] == {"value": 123456789012345678901234567890}
    assert any("'SKEW'" in w for w in draft.warnings)
    assert any("non-ASCII" in w for w in draft.warnings)


def test_simple_false_is_salvaged_with_a_warning(tmp_path):
    path = tmp_path / "odd.fits"
    path.write_bytes(
        raw_fits(
            [
                "SIMPLE  =                    F",
                "BITPIX  =                    8",
                "NAXIS   =  0",
                "OBJECT  = 'odd'",
            ]
        )
    )

    draft = fits.extract(path)

    assert draft.dataset_name == "odd"
    assert any("SIMPLE = F" in w for w in draft.warnings)


@pytest.mark.parametrize(
    ("cards", "start"),
    [
        ({"DATE-OBS": "19/05/94", "TIME-OBS": "15:41:16"}, "1994-05-19T15:41:16+00:00"),
        ({"DATE-OBS": "1976-03-11", "UT": "17:38:00.00"}, "1976-03-11T17:38:00+00:00"),
        ({"DATE-OBS": "2011-09-01T02:09:05.5"}, "2011-09-01T02:09:05.500000+00:00"),
        ({"MJD-OBS": 55805.0}, "2011-09-01T00:00:00+00:00"),
        (
            {"MJDREFI": 49353, "MJDREFF": 0.0, "TIMEUNIT": "d", "TSTART": 2.5},
            "1994-01-03T12:00:00+00:00",
        ),
        ({"MJDREF": 50000.0, "TSTART": 3600.0}, "1995-10-10T01:00:00+00:00"),
    ],
)
def test_observation_times_are_normalised_to_utc(fits_file, cards, start):
    hdu = image_hdu()
    hdu.header.update(cards)

    assert fits.extract(fits_file([hdu])).start_time == start


def test_timesys_other_than_utc_is_recorded(fits_file):
    draft = fits.extract(fits_file([image_hdu(DATE_OBS="2000-01-01T00:00:00", TIMESYS="TT")]))

    assert obscore(draft)["timesys"] == {"value": "TT"}


@pytest.mark.parametrize(
    ("ra", "dec", "expected"),
    [
        ("14 29 56.000", "-62 41 05.00", (217.48333, -62.68472)),
        ("12:30:00", "-45:30:00", (187.5, -45.5)),
        (150.25, -30.5, (150.25, -30.5)),
        ("150.25", "-30.5", (150.25, -30.5)),
    ],
)
def test_pointing_in_sexagesimal_or_degrees_becomes_degrees(fits_file, ra, dec, expected):
    draft = fits.extract(fits_file([image_hdu(RA=ra, DEC=dec)]))

    assert obscore(draft)["s_ra"]["value"] == pytest.approx(expected[0], abs=1e-4)
    assert obscore(draft)["s_dec"]["value"] == pytest.approx(expected[1], abs=1e-4)


def tan_image(crpix: float):
    hdu = afits.PrimaryHDU(np.zeros((101, 101), dtype="f4"))
    hdu.header.update(
        {"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CRVAL1": 100.0, "CRVAL2": 0.0}
        | {"CRPIX1": crpix, "CRPIX2": crpix, "CDELT1": -0.01, "CDELT2": 0.01, "RA": 1.0, "DEC": 1.0}
    )
    return hdu


@pytest.mark.parametrize(
    ("crpix", "centre"),
    [(51.0, (100.0, 0.0)), (1.0, (99.5, 0.5))],  # reference pixel at the centre / in a corner
)
def test_pointing_is_the_wcs_image_centre_before_header_keywords(fits_file, crpix, centre):
    core = obscore(fits.extract(fits_file([tan_image(crpix)])))

    assert core["s_ra"]["value"] == pytest.approx(centre[0], abs=1e-3)
    assert core["s_dec"]["value"] == pytest.approx(centre[1], abs=1e-3)


def test_exposure_keyword_priority(fits_file):
    draft = fits.extract(fits_file([image_hdu(EXPTIME=0.5, EXPOSURE=1200.0, XPOSURE=1100.0)]))

    assert obscore(draft)["t_exptime"] == {"value": 1100.0, "unit": "s"}


def test_truncated_data_keeps_the_headers_with_a_warning(fits_file, tmp_path):
    full = fits_file([image_hdu(OBJECT="cut"), afits.ImageHDU(np.zeros((100, 100)), name="SCI")])
    cut = tmp_path / "cut.fits"
    cut.write_bytes(full.read_bytes()[: 2880 * 4])

    draft = fits.extract(cut)

    assert draft.dataset_name == "cut"
    assert any("truncated" in w for w in draft.warnings)


def test_truncated_header_is_an_extraction_error(fits_file, tmp_path):
    cut = tmp_path / "cut.fits"
    cut.write_bytes(fits_file([image_hdu()]).read_bytes()[:1000])

    with pytest.raises(ExtractionError):
        fits.extract(cut)


# --- real files --------------------------------------------------------------------------------


def test_hst_wfpc2_multi_extension_file(sample):
    draft = fits.extract(sample("fits/astropy-wheel__test0.fits"))

    assert draft.start_time == "1994-05-19T15:41:16+00:00"  # dd/mm/yy + TIME-OBS
    assert draft.creation_location == "WFPC2"
    assert obscore(draft)["filter"] == {"value": "F673N"}  # FILTER1 = 33 is a wheel position
    assert obscore(draft)["t_exptime"] == {"value": 0.23, "unit": "s"}
    assert len(draft.scientific_metadata["fits"]["hdus"]) == 5
    assert draft.preview_source == "HDU 1"


def test_ccd_image_with_sip_wcs(sample):
    draft = fits.extract(sample("fits/astropy-wheel__sip-wcs.fits"))
    core = obscore(draft)

    assert draft.instrument["name"] == "Apogee Alta"
    assert draft.owner == "Matt Craig"
    assert draft.start_time == "2011-09-01T02:09:05+00:00"
    assert draft.end_time == "2011-09-01T02:11:05+00:00"
    assert core["s_ra"]["value"] == pytest.approx(280.546, abs=0.002)  # the WCS centre, not CRVAL
    assert core["s_dec"]["value"] == pytest.approx(0.113, abs=0.002)
    assert core["t_min"]["value"] == pytest.approx(55805.0896, abs=1e-4)
    assert core["filter"] == {"value": "B"}


def test_tile_compressed_sample(sample):
    draft = fits.extract(sample("fits/astropy-wheel__comp.fits"))

    assert draft.dataset_name == "NGC 1316"
    assert (obscore(draft)["s_xel1"], obscore(draft)["s_xel2"]) == ({"value": 440}, {"value": 300})
    assert draft.preview_source == "HDU 1"


def test_gzipped_dss_plate_with_a_bad_card(sample):
    draft = fits.extract(sample("fits/astropy-wheel__dss.14.29.56-62.41.05.fits.gz"))

    assert draft.dataset_name == "dss126604"
    assert draft.creation_location == "UK 48-inch Schmidt"
    assert draft.start_time == "1976-03-11T17:38:00+00:00"  # 11/03/76 + UT
    assert obscore(draft)["s_ra"]["value"] == pytest.approx(217.484, abs=0.002)
    assert obscore(draft)["s_dec"]["value"] == pytest.approx(-62.685, abs=0.002)
    assert obscore(draft)["t_exptime"]["value"] == 70.0
    assert any("SKEW" in w for w in draft.warnings)
    assert not draft.creation_time.startswith("1921")  # DATE = '10/01/21' cannot be a file date


def test_nonstandard_simple_false_sample(sample):
    draft = fits.extract(sample("fits/astropy-wheel__header_with_time.fits"))

    assert any("SIMPLE = F" in w for w in draft.warnings)
    assert draft.scientific_metadata["fits"]["hdus"]["0"]["cards"]["CTYPE4A"] == {"value": "TIME"}


def test_checksum_sample_with_conflicting_hdus(sample):
    draft = fits.extract(sample("fits/astropy-wheel__checksum.fits"))

    assert draft.dataset_name == "NGC 1316"
    assert draft.start_time == "1996-01-06T08:56:00+00:00"  # only extension 1 has DATE-OBS
    assert draft.end_time == "1997-03-12T06:18:34+00:00"
    assert draft.scientific_metadata["fits"]["conflicts"]["OBJECT"] == {
        "0": "NGC 1316",
        "1": "grs1915+105",
    }
    assert draft.scientific_metadata["fits"]["hdus"]["0"]["cards"]["CHECKSUM"] == {
        "value": "MPAGOM8DMMADMM5D"
    }
