"""UCUM units (https://ucum.org) through ``ucumvert``: validation, conversion, canonical forms
for quantity search, and molar conversions of lab analytes (glucose mg/dL <-> mmol/L)."""

from terminology.ucum.analytes import MOLAR_MASSES, convert_molar
from terminology.ucum.codesystem import SYSTEM, code_system
from terminology.ucum.units import (
    UnitError,
    commensurable_units,
    convert,
    factor,
    is_valid,
    unit_problem,
)

__all__ = [
    "MOLAR_MASSES",
    "SYSTEM",
    "UnitError",
    "code_system",
    "commensurable_units",
    "convert",
    "convert_molar",
    "factor",
    "is_valid",
    "unit_problem",
]
