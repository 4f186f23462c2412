"""UCUM validation and the conversion test set (mass, energy, volume, glucose by molar mass)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from resources.errors import Invalid, Unprocessable
from terminology.ucum import (
    commensurable_units,
    convert,
    convert_molar,
    factor,
    is_valid,
    unit_problem,
)


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        ("5", "g", "mg", "5000"),
        ("250", "ug", "mg", "0.25"),
        ("1.5", "kg", "g", "1500"),
        ("1", "mg", "ug", "1000"),
        ("1", "kcal", "kJ", "4.184"),
        ("2000", "kcal", "kJ", "8368"),
        ("4.184", "kJ", "kcal", "1"),
        ("1", "[lb_av]", "g", "453.59237"),
        ("1", "[oz_av]", "g", "28.349523125"),
        ("1", "[cup_us]", "mL", "236.5882365"),
        ("100", "mg/dL", "g/L", "1"),
        ("1", "L", "dL", "10"),
        ("37", "Cel", "[degF]", "98.6"),
    ],
)
def test_conversions(value: str, source: str, target: str, expected: str) -> None:
    assert convert(Decimal(value), source, target) == Decimal(expected)


@pytest.mark.parametrize(
    ("value", "source", "target", "analyte", "expected"),
    [
        # glucose 180.156 g/mol: 1 mmol/L = 18.0156 mg/dL
        ("99", "mg/dL", "mmol/L", "glucose", "5.50"),
        ("180.156", "mg/dL", "mmol/L", "glucose", "10.00"),
        ("5.5", "mmol/L", "mg/dL", "glucose", "99.09"),
        ("7", "mmol/L", "mg/dL", "2345-7", "126.11"),
        ("200", "mg/dL", "mmol/L", "cholesterol", "5.17"),
        ("1", "mg/dL", "umol/L", "creatinine", "88.40"),
        ("150", "mg/dL", "mmol/L", "triglycerides", "1.69"),
        ("100", "mg/dL", "g/L", "glucose", "1.00"),
    ],
)
def test_molar_conversions(
    value: str, source: str, target: str, analyte: str, expected: str
) -> None:
    result = convert_molar(Decimal(value), source, target, analyte)
    assert result.quantize(Decimal("0.01")) == Decimal(expected)


def test_molar_conversion_needs_a_known_analyte() -> None:
    with pytest.raises(Unprocessable):
        convert_molar(Decimal(1), "mg/dL", "mmol/L", "unobtainium")
    with pytest.raises(Unprocessable):
        convert_molar(Decimal(1), "mg/dL", "kg", "glucose")


def test_conversion_errors() -> None:
    with pytest.raises(Unprocessable):
        convert(Decimal(1), "mg", "mL")
    with pytest.raises(Invalid):
        convert(Decimal(1), "milligrams", "g")


@pytest.mark.parametrize(
    "unit",
    [
        "mg",
        "mg/dL",
        "mmol/L",
        "kg/m2",
        "mm[Hg]",
        "/min",
        "%",
        "{beats}/min",
        "10*3/uL",
        "mL/min/{1.73_m2}",
    ],
)
def test_valid_units(unit: str) -> None:
    assert is_valid(unit)


@pytest.mark.parametrize("unit", ["", "foo", "mg/", " mg", "kg/m^2"])
def test_invalid_units_say_why(unit: str) -> None:
    assert not is_valid(unit)
    assert unit_problem(unit)


def test_factors_are_exact_decimals() -> None:
    assert factor("mg/dL", "g/L") == Decimal("0.01")
    assert factor("g", "kg") == Decimal("0.001")
    assert factor("Cel", "K") is None
    assert factor("mg", "mL") is None


def test_commensurable_units_for_search() -> None:
    units = dict(commensurable_units("g"))
    assert units["g"] == 1
    assert units["mg"] == 1000
    assert units["kg"] == Decimal("0.001")
    assert "mmol/L" not in units
    assert commensurable_units("{scoops}") == (("{scoops}", Decimal(1)),)
    assert commensurable_units("nonsense") == ()
    assert dict(commensurable_units("%")) == {"%": 1}
