"""Mass <-> substance conversions for lab analytes, with the molar mass each needs.

A mass concentration (mg/dL) becomes a substance concentration (mmol/L) only through the
analyte's molar mass; a unit library cannot know it, so each analyte is named here with its
LOINC codes. Molar masses: glucose C6H12O6 180.156 g/mol; cholesterol C27H46O 386.65 g/mol;
creatinine C4H7N3O 113.12 g/mol; urea nitrogen as 2 N 28.014 g/mol; triglycerides as
triolein 885.4 g/mol (the clinical-chemistry convention).
"""

from __future__ import annotations

from decimal import Decimal

from resources import error_codes
from resources.errors import Unprocessable
from terminology.ucum.units import convert, factor

MOLAR_MASSES: dict[str, Decimal] = {
    "glucose": Decimal("180.156"),
    "cholesterol": Decimal("386.65"),
    "creatinine": Decimal("113.12"),
    "urea-nitrogen": Decimal("28.014"),
    "triglycerides": Decimal("885.4"),
}
"""Analyte -> molar mass in g/mol."""

ANALYTE_LOINC: dict[str, str] = {
    "2345-7": "glucose",
    "2339-0": "glucose",
    "15074-8": "glucose",
    "2093-3": "cholesterol",
    "2085-9": "cholesterol",
    "13457-7": "cholesterol",
    "2089-1": "cholesterol",
    "2160-0": "creatinine",
    "14682-9": "creatinine",
    "3094-0": "urea-nitrogen",
    "2571-8": "triglycerides",
}
"""LOINC codes of the serum/plasma tests whose results these molar masses convert."""


def convert_molar(value: Decimal, source: str, target: str, analyte: str) -> Decimal:
    """``value`` of ``analyte`` from ``source`` to ``target`` units, crossing between mass and
    substance with its molar mass when the units need it (``mg/dL`` -> ``mmol/L``)."""
    molar_mass = MOLAR_MASSES.get(analyte) or MOLAR_MASSES.get(ANALYTE_LOINC.get(analyte, ""))
    if molar_mass is None:
        raise Unprocessable(
            f"No molar mass is known for {analyte!r}", error_codes.UCUM_NOT_CONVERTIBLE
        )
    if factor(source, target) is not None:
        return convert(value, source, target)
    # mass concentration (g/L) = substance concentration (mol/L) x molar mass (g/mol)
    if factor(source, "g/L") is not None and factor(target, "mol/L") is not None:
        grams_per_litre = convert(value, source, "g/L")
        return convert(grams_per_litre / molar_mass, "mol/L", target)
    if factor(source, "mol/L") is not None and factor(target, "g/L") is not None:
        moles_per_litre = convert(value, source, "mol/L")
        return convert(moles_per_litre * molar_mass, "g/L", target)
    raise Unprocessable(
        f"'{source}' cannot be converted to '{target}' for {analyte}",
        error_codes.UCUM_NOT_CONVERTIBLE,
    )
