"""A runner for the official FHIRPath test suite (``tests-fhir-r4.xml``) on our engine.

The engine is what search uses: ``parse_strict`` (fhirpathpy's grammar, syntax errors raised)
and fhirpathpy's evaluator with the R4 model. Each case passes or fails with a short reason.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import fhirpathpy
from fhirpathpy.engine.nodes import FP_DateTime, FP_Quantity, FP_Time

from resources.search.dates import parse_date
from resources.search.fhirpath import FHIR_VARIABLES, fhir_model, parse_strict

SUITE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "fhirpath"
SUITE_FILE = SUITE_DIR / "tests-fhir-r4.xml"
_apply = cast(Any, fhirpathpy).apply_parsed_path


@dataclass(frozen=True)
class Case:
    """One ``<test>`` of the suite."""

    name: str
    group: str
    expression: str
    inputfile: str | None
    invalid: str | None
    outputs: tuple[tuple[str | None, str], ...]
    predicate: bool
    ordered: bool


def load_cases(path: Path = SUITE_FILE) -> list[Case]:
    """Every test case of the suite file, in file order."""
    root = ET.parse(path).getroot()  # noqa: S314 (checked-in fixture)
    cases = []
    for group in root.iter("group"):
        for test in group.iter("test"):
            expression = test.find("expression")
            assert expression is not None
            outputs = tuple((o.get("type"), o.text or "") for o in test.iter("output"))
            cases.append(
                Case(
                    name=test.get("name", ""),
                    group=group.get("name", ""),
                    expression=expression.text or "",
                    inputfile=test.get("inputfile"),
                    invalid=expression.get("invalid"),
                    outputs=outputs,
                    predicate=test.get("predicate") == "true",
                    ordered=test.get("ordered") != "false",
                )
            )
    return cases


def run_case(case: Case) -> str | None:
    """None if the case passes, else what went wrong."""
    resource = _input(case.inputfile)
    try:
        parsed = parse_strict(case.expression)
        result = _apply(resource, parsed, dict(FHIR_VARIABLES), fhir_model(), None)
    except Exception as error:  # the engine raises bare Exception and others
        return None if case.invalid else f"error: {type(error).__name__}: {error}"[:300]
    if case.invalid:
        return f"expected a {case.invalid} error, got {result!r}"[:300]
    actual = [typed(item) for item in result]
    if case.predicate:
        actual = [("boolean", bool(actual))]
    expected = [expected_value(type_, text) for type_, text in case.outputs]
    same = (
        actual == expected
        if case.ordered
        else sorted(map(repr, actual)) == sorted(map(repr, expected))
    )
    return None if same else f"expected {expected}, got {actual}"[:300]


Typed = tuple[str, object]
"""(kind, value): the comparable form of a result item or an expected output."""


def typed(item: object) -> Typed:
    """A result item as (kind, value); FHIR primitives arrive as plain JSON values."""
    if isinstance(item, bool):
        return ("boolean", item)
    if isinstance(item, int):
        return ("integer", item)
    if isinstance(item, float | Decimal):
        return ("decimal", Decimal(str(item)))
    if isinstance(item, FP_Quantity):
        return ("Quantity", str(item))
    if isinstance(item, FP_Time):
        return ("time", str(item).removeprefix("T"))
    if isinstance(item, FP_DateTime):
        return _text(str(item))
    if isinstance(item, str):
        return _text(item)
    return ("object", json.dumps(item, sort_keys=True, default=str))


def _text(text: str) -> Typed:
    """Text as a dateTime instant range if it is one (so offsets compare as instants)."""
    moment = parse_date(text) if "T" in text else None
    return ("dateTime", (moment.low, moment.high)) if moment else ("string", text)


def expected_value(type_: str | None, text: str) -> Typed:
    """An ``<output>`` as (kind, value), with the same kinds as ``typed``."""
    match type_:
        case "boolean":
            return ("boolean", text == "true")
        case "integer":
            return ("integer", int(text))
        case "decimal":
            return ("decimal", Decimal(text))
        case "Quantity":
            return ("Quantity", text)
        case "time":
            return ("time", text.removeprefix("@T"))
        case "dateTime" | "date":
            return _text(text.removeprefix("@"))
        case _:  # string, code, id, and the untyped outputs of the FHIRPath 2.1 functions
            return _text(text)


@dataclass(frozen=True)
class _Inputs:
    cache: dict[str, Any]


_INPUTS = _Inputs({})


def _input(inputfile: str | None) -> Any:
    if inputfile is None:
        return {}
    name = inputfile.removesuffix(".xml").removesuffix(".json") + ".json"
    if name not in _INPUTS.cache:
        _INPUTS.cache[name] = json.loads((SUITE_DIR / "r4" / name).read_text("utf-8"))
    # a fresh copy: fhirpathpy may annotate what it is given
    return json.loads(json.dumps(_INPUTS.cache[name]))
