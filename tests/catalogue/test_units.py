"""catalogue.units: SI annotation of quantities in free metadata. Pure Python, no database."""

import copy
import math

import pint
import pytest

from catalogue import units
from catalogue.units import (
    UnitIssue,
    annotate_quantities,
    is_quantity,
    normalise_unit,
    to_si,
)

DEG = math.pi / 180
EV = 1.602176634e-19

# (unit as facilities write it, value, expected valueSI, expected unitSI)
SPELLINGS = [
    ("Angstrom", 1.54, 1.54e-10, "m"),
    ("Angstroms", 2, 2e-10, "m"),
    ("angstrom", 1, 1e-10, "m"),
    ("Angstroem", 1, 1e-10, "m"),
    ("Ångström", 1, 1e-10, "m"),
    ("\u00c5", 1, 1e-10, "m"),
    ("\u212b", 1, 1e-10, "m"),
    ("ANGSTROM", 1, 1e-10, "m"),
    ("A", 2, 2, "A"),  # ampere, as in mathjs/SciCat
    ("mA", 0.4, 4e-4, "A"),
    ("\u00b5m", 75, 7.5e-5, "m"),
    ("\u03bcm", 75, 7.5e-5, "m"),
    ("um", 75, 7.5e-5, "m"),
    ("us", 3, 3e-6, "s"),
    ("\u00b5s", 3, 3e-6, "s"),
    ("deg", 90, 90 * DEG, "rad"),
    ("degree", 180, math.pi, "rad"),
    ("degrees", 45, 45 * DEG, "rad"),
    ("°", 90, 90 * DEG, "rad"),
    ("RAD", 1.5, 1.5, "rad"),
    ("mrad", 2, 2e-3, "rad"),
    ("arcsec", 1, DEG / 3600, "rad"),
    ("arcmin", 1, DEG / 60, "rad"),
    ("mas", 1, DEG / 3.6e6, "rad"),
    ("eV", 1, EV, "J"),
    ("keV", 12.4, 12.4e3 * EV, "J"),
    ("KEV", 1, 1e3 * EV, "J"),
    ("meV", 1, 1e-3 * EV, "J"),
    ("MeV", 1, 1e6 * EV, "J"),
    ("K", 4.2, 4.2, "K"),
    ("mK", 50, 0.05, "K"),
    ("degC", 0, 273.15, "K"),
    ("°C", 25, 298.15, "K"),
    ("celsius", -273.15, 0, "K"),
    ("mbar", 1, 100, "Pa"),
    ("Pa", 5, 5, "Pa"),
    ("hPa", 1013.25, 101325, "Pa"),
    ("Torr", 1, 133.322368421, "Pa"),
    ("T", 7, 7, "T"),
    ("mT", 5, 5e-3, "T"),
    ("Oe", 1, 1000 / (4 * math.pi), "A/m"),
    ("Hz", 50, 50, "Hz"),
    ("kHz", 2, 2e3, "Hz"),
    ("GHz", 9.4, 9.4e9, "Hz"),
    ("s", 10, 10, "s"),
    ("ms", 10, 0.01, "s"),
    ("ns", 1, 1e-9, "s"),
    ("fs", 100, 1e-13, "s"),
    ("min", 2, 120, "s"),
    ("h", 1.5, 5400, "s"),
    ("m", 3, 3, "m"),
    ("mm", 250, 0.25, "m"),
    ("nm", 1, 1e-9, "m"),
    ("pm", 1, 1e-12, "m"),
    ("cm", 1, 0.01, "m"),
    ("1/m", 5, 5, "1/m"),
    ("m^-1", 5, 5, "1/m"),
    ("1/nm", 0.1, 1e8, "1/m"),
    ("1/A", 0.1, 1e9, "1/m"),  # inverse angstrom: how q is written
    ("Å^-1", 0.1, 1e9, "1/m"),
    ("1/Å", 0.1, 1e9, "1/m"),
    ("V", 5, 5, "V"),
    ("kV", 30, 3e4, "V"),
    ("V/m", 1, 1, "V/m"),
    ("W", 1, 1, "W"),
    ("mW", 20, 0.02, "W"),
    ("J", 1, 1, "J"),
    ("mJ", 3, 3e-3, "J"),
    ("erg", 1, 1e-7, "J"),
    ("erg/s", 1, 1e-7, "W"),
    ("W/m^2", 2, 2, "W/m^2"),
    ("kg", 1, 1, "kg"),
    ("g", 5, 5e-3, "kg"),
    ("mg", 5, 5e-6, "kg"),
    ("L", 2, 2e-3, "m^3"),
    ("ml", 2, 2e-6, "m^3"),
    ("mol", 1, 1, "mol"),
    ("mmol/L", 1, 1, "mol/m^3"),
    ("counts", 100, 100, ""),
    ("count", 100, 100, ""),
    ("cts", 100, 100, ""),
    ("counts/s", 7, 7, "Hz"),
    ("cps", 7, 7, "Hz"),
    ("pixel", 2048, 2048, ""),
    ("pixels", 2048, 2048, ""),
    ("%", 5, 0.05, ""),
    ("percent", 50, 0.5, ""),
    ("ppm", 3, 3e-6, ""),
    ("mm^2", 1, 1e-6, "m^2"),
    ("mm**2", 1, 1e-6, "m^2"),
    ("mm²", 1, 1e-6, "m^2"),
    ("m2", 1, 1, "m^2"),
    ("s-1", 4, 4, "Hz"),
    ("m·s⁻¹", 3, 3, "m/s"),
    ("m * s^-2", 9.81, 9.81, "m/s^2"),
    ("Gy", 2, 2, "J/kg"),
    ("AU", 1, 149597870700, "m"),
    ("pc", 1, 3.0856775814671916e16, "m"),
    ("kpc", 8, 8 * 3.0856775814671916e19, "m"),
    ("Mpc", 1, 3.0856775814671916e22, "m"),
    ("Jy", 1, 1e-26, "kg/s^2"),
    ("mJy", 1, 1e-29, "kg/s^2"),
    ("Msun", 1, 1.98841e30, "kg"),
    ("solMass", 1, 1.98841e30, "kg"),
    ("  mm  ", 1, 1e-3, "m"),
]


@pytest.mark.parametrize(("unit", "value", "value_si", "unit_si"), SPELLINGS)
def test_real_world_spelling_converts_to_si(unit, value, value_si, unit_si):
    result = to_si(value, unit)
    assert result is not None, f"{unit!r} not understood"
    assert result[0] == pytest.approx(value_si, rel=1e-12, abs=1e-300)
    assert result[1] == unit_si


def test_float_noise_is_rounded_away():
    assert to_si(1.54, "Angstrom") == (1.54e-10, "m")
    assert to_si(1, "cm") == (0.01, "m")
    assert to_si(1, "1/nm") == (1e9, "1/m")


def test_twenty_degrees_celsius_is_293_15_kelvin():
    assert to_si(20, "degC") == (293.15, "K")


def test_offset_unit_in_a_compound_is_a_difference():
    value_si, unit_si = to_si(60, "degC/min")
    assert value_si == pytest.approx(1.0)
    assert unit_si == "K/s"


def test_same_dimension_gives_identical_unit_si():
    assert to_si(1, "Å")[1] == to_si(1, "nm")[1] == to_si(1, "m")[1] == "m"
    assert to_si(1, "eV")[1] == to_si(1, "keV")[1] == to_si(1, "J")[1] == "J"
    assert to_si(1, "kg/(m*s)")[1] == to_si(1, "Pa s")[1]


def test_m_and_capital_m_prefixes_are_never_confused():
    assert to_si(1, "mm") == (0.001, "m")
    assert to_si(1, "Mm") == (1e6, "m")
    assert to_si(1, "MEV") is None  # meV or MeV? refuse to guess
    assert normalise_unit("MEV") is None


def test_numeric_string_converts():
    assert to_si("1.5", "mm") == (0.0015, "m")
    assert to_si("250", "mm") == (0.25, "m")


def test_range_converts_element_wise():
    assert to_si([1, 2], "cm") == ([0.01, 0.02], "m")
    assert to_si([[1, 2], [3]], "mm") == ([[0.001, 0.002], [0.003]], "m")


@pytest.mark.parametrize("value", ["n/a", True, None, {"x": 1}, [1, "x"], "nan", float("inf")])
def test_non_numeric_value_has_no_si(value):
    assert to_si(value, "mm") is None


@pytest.mark.parametrize("unit", ["", None, "NX_ANGLE", "NX_LENGTH", "smoots/fortnight", "a.u."])
def test_to_si_is_none_without_an_understood_unit(unit):
    assert to_si(1, unit) is None


def test_normalise_unit_gives_pint_spelling():
    assert normalise_unit("Angstroms") == "angstrom"
    assert normalise_unit("µm") == "um"
    assert normalise_unit("mm**2") == "mm^2"
    assert normalise_unit("1/A") == "1/angstrom"
    assert normalise_unit("bogons") is None
    assert normalise_unit("NX_ANY") is None


def test_is_quantity_recognises_both_pair_styles():
    assert is_quantity({"value": 1, "unit": "m"})
    assert is_quantity({"v": 1, "u": "m"})
    assert is_quantity({"value": 1, "unit": ""})
    assert not is_quantity({"value": 1})
    assert not is_quantity({"value": 1, "unit": {"name": "m"}})
    assert not is_quantity([1, "m"])


def test_annotate_adds_si_to_nested_quantities_and_v_u_pairs():
    data = {
        "wavelength": {"value": 1.54, "unit": "Angstrom"},
        "beam": {"current": {"v": 0.4, "u": "mA"}},
        "title": "scan",
    }
    out, issues = annotate_quantities(data)
    assert out["wavelength"] == {
        "value": 1.54,
        "unit": "Angstrom",
        "valueSI": 1.54e-10,
        "unitSI": "m",
    }
    assert out["beam"]["current"] == {"v": 0.4, "u": "mA", "valueSI": 0.0004, "unitSI": "A"}
    assert out["title"] == "scan"
    assert issues == []


def test_annotate_walks_lists_and_lists_inside_lists():
    data = {"peaks": [{"value": 1, "unit": "nm"}, [{"v": 2, "u": "cm"}, {"value": 3, "unit": "?"}]]}
    out, issues = annotate_quantities(data)
    assert out["peaks"][0]["valueSI"] == 1e-9
    assert out["peaks"][1][0]["valueSI"] == 0.02
    assert issues == [UnitIssue("peaks.1.1", "?", "unknown")]


def test_annotate_quantity_range():
    data = {"scan": {"value": [0, 180], "unit": "deg", "type": "quantity_range"}}
    out, _ = annotate_quantities(data)
    assert out["scan"]["valueSI"] == pytest.approx([0, math.pi])
    assert out["scan"]["unitSI"] == "rad"
    assert out["scan"]["type"] == "quantity_range"


def test_unknown_unit_is_kept_and_reported_with_its_path():
    data = {"sample": {"size": {"value": 3, "unit": "smoots"}}}
    out, issues = annotate_quantities(data)
    assert out == data
    assert issues == [UnitIssue("sample.size", "smoots", "unknown")]


@pytest.mark.parametrize(
    "unit", ["NX_ANGLE", "NX_LENGTH", "NX_ANY", "NX_UNITLESS", "NX_WAVELENGTH"]
)
def test_nexus_placeholder_is_reported_as_placeholder(unit):
    out, issues = annotate_quantities({"omega": {"value": 3, "unit": unit}})
    assert out == {"omega": {"value": 3, "unit": unit}}
    assert issues == [UnitIssue("omega", unit, "placeholder")]


@pytest.mark.parametrize("unit", ["", None, "  "])
def test_empty_unit_adds_nothing_and_reports_nothing(unit):
    out, issues = annotate_quantities({"n": {"value": 3, "unit": unit}})
    assert out == {"n": {"value": 3, "unit": unit}}
    assert issues == []


def test_non_numeric_value_is_reported():
    data = {"gap": {"value": "n/a", "unit": "mm"}, "flag": {"value": True, "unit": "s"}}
    out, issues = annotate_quantities(data)
    assert "valueSI" not in out["gap"] and "valueSI" not in out["flag"]
    assert issues == [UnitIssue("gap", "mm", "non-numeric"), UnitIssue("flag", "s", "non-numeric")]


def test_nested_dict_as_value_gets_no_si():
    out, issues = annotate_quantities({"q": {"value": {"x": 1}, "unit": "m"}})
    assert out == {"q": {"value": {"x": 1}, "unit": "m"}}
    assert issues == [UnitIssue("q", "m", "non-numeric")]


def test_numeric_string_value_is_annotated():
    out, _ = annotate_quantities({"d": {"value": "1.5", "unit": "m"}})
    assert out["d"]["valueSI"] == 1.5 and out["d"]["unitSI"] == "m"


def test_input_is_not_mutated():
    data = {"a": {"value": [1, 2], "unit": "cm"}, "b": [{"v": 1, "u": "NX_ANY"}]}
    before = copy.deepcopy(data)
    out, _ = annotate_quantities(data)
    assert data == before
    assert out["a"] is not data["a"] and out["a"]["value"] is not data["a"]["value"]
    assert out["b"] is not data["b"]


def test_stale_si_fields_are_recomputed_or_removed():
    data = {
        "fixed": {"value": 2, "unit": "mm", "valueSI": 999, "unitSI": "furlong"},
        "gone": {"value": 2, "unit": "bogons", "valueSI": 2, "unitSI": "m"},
    }
    out, _ = annotate_quantities(data)
    assert out["fixed"] == {"value": 2, "unit": "mm", "valueSI": 0.002, "unitSI": "m"}
    assert out["gone"] == {"value": 2, "unit": "bogons"}


def test_top_level_quantity_and_scalars_pass_through():
    assert annotate_quantities({"value": 1, "unit": "km"})[0]["valueSI"] == 1000
    assert annotate_quantities("text") == ("text", [])
    assert annotate_quantities([1, None]) == ([1, None], [])


# --- The registry: built once a process, from pint's cache where it can be ----------------


@pytest.fixture
def fresh_registry(monkeypatch):
    """No registry built yet and no conversion remembered, as in a new process."""
    monkeypatch.setattr(units, "_ureg", None)
    units.normalise_unit.cache_clear()
    units._conversion.cache_clear()
    yield
    units.normalise_unit.cache_clear()
    units._conversion.cache_clear()


def test_units_convert_when_pints_cache_cannot_be_used(fresh_registry, monkeypatch):
    built = pint.UnitRegistry

    def cache_refused(*args, **kwargs):
        if "cache_folder" in kwargs:
            raise PermissionError("the cache folder is read-only")
        return built(*args, **kwargs)

    monkeypatch.setattr(pint, "UnitRegistry", cache_refused)

    assert units.to_si(2, "min") == (120, "s")
    assert units.to_si(1.54, "Angstrom") == (1.54e-10, "m")
    assert units.to_si(1, "Msun") == (1.98841e30, "kg")  # fedcat's own definitions too


def test_pints_cache_lives_in_the_data_dir(fresh_registry, settings, tmp_path):
    settings.DATA_DIR = tmp_path

    assert units.to_si(12, "keV") == (1.9226119608e-15, "J")
    assert units._ureg.cache_folder == tmp_path / "cache" / "pint"
    assert any((tmp_path / "cache" / "pint").iterdir())
