"""Extraction over real examples: it never fails, and equals a plain path walk where one applies.

For every parameter whose expression is a plain path (or a union of them), three things agree:
fhirpathpy's items (the interpreter, ``fast=False``), the items of the independent walk in
``path_walk``, and the extracted index values against those of the walked items. And for every
parameter, the production evaluator (with its fast path) gives fhirpathpy's items and types.
The copied subset (tests/fixtures/search, 40 files) always runs; all 466 R4 examples under
../shared/fixtures run when that folder is present.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from resources.crypto.phi_params import COVERED_BY, NOT_STORED
from resources.search.extract import CONVERTERS, extract, extract_all
from resources.search.fhirpath import CompiledPath, Node, compile_path
from resources.search.index_rows import index_rows
from resources.search.registry import default_registry
from tests.unit.search.path_walk import simple_branches, walk

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "search"
SUBSET = sorted(FIXTURES.glob("*.json"))
SHARED_EXAMPLES = (
    Path(__file__).resolve().parents[4] / "shared" / "fixtures" / "fhir-r4-examples" / "resources"
)


def _load(path: Path) -> dict[str, Any]:
    resource: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return resource


@functools.cache
def _interpreter(expression: str) -> CompiledPath:
    return CompiledPath(expression, fast=False)


def _engine_items(expression: str, resource: Mapping[str, Any]) -> list[Any]:
    return [node.value for node in _interpreter(expression).evaluate(resource, resource)]


def _walk_items(branches: list[str], resource: Mapping[str, Any]) -> list[Any]:
    """The walked items less what fhirpathpy leaves out: ``_x`` elements with only extensions."""
    items = [item for branch in branches for item in walk(resource, branch)]
    return [
        item for item in items if not (isinstance(item, Mapping) and list(item) == ["extension"])
    ]


def compare_fast_path(resource: dict[str, Any]) -> list[str]:
    """Mismatches between the production evaluator and fhirpathpy, for every parameter."""
    mismatches = []
    resource_type = resource["resourceType"]
    for code, param in default_registry().params_for(resource_type).items():
        expression = param.expression_for(resource_type)
        if expression is None:
            continue
        fast = compile_path(expression).evaluate(resource, resource)
        slow = _interpreter(expression).evaluate(resource, resource)
        if [(n.value, n.type) for n in fast] != [(n.value, n.type) for n in slow]:
            mismatches.append(f"{resource_type}.{code}: fast path differs for {expression}")
        for component in param.component:  # relative paths, on each item of the base
            for root in slow:
                fast = compile_path(component.expression).evaluate(root, resource)
                slow_part = _interpreter(component.expression).evaluate(root, resource)
                if [(n.value, n.type) for n in fast] != [(n.value, n.type) for n in slow_part]:
                    mismatches.append(
                        f"{resource_type}.{code}: fast path differs for {component.expression}"
                    )
    return mismatches


def compare_simple_paths(resource: dict[str, Any]) -> tuple[int, list[str]]:
    """(parameters compared, mismatches) for every simple-path parameter of the resource."""
    compared, mismatches = 0, []
    resource_type = resource["resourceType"]
    for code, param in default_registry().params_for(resource_type).items():
        expression = param.expression_for(resource_type)
        branches = simple_branches(expression) if expression else None
        converter = CONVERTERS.get(param.type)
        if expression is None or branches is None or converter is None:
            continue
        walked = _walk_items(branches, resource)
        if _engine_items(expression, resource) != walked:
            mismatches.append(f"{resource_type}.{code}: items differ for {expression}")
        converted = [v for item in walked for v in converter(Node(item, None, item), resource)]
        if extract(resource, param) != list(dict.fromkeys(converted)):
            mismatches.append(f"{resource_type}.{code}: values differ for {expression}")
        compared += 1 if walked else 0
    return compared, mismatches


def test_subset_has_varied_types() -> None:
    types = {_load(path)["resourceType"] for path in SUBSET}
    assert len(SUBSET) == 40
    assert {
        "Patient",
        "Observation",
        "Condition",
        "AllergyIntolerance",
        "MedicationRequest",
        "Encounter",
        "Procedure",
        "Immunization",
        "DiagnosticReport",
        "CarePlan",
        "NutritionIntake",
    } <= types


@pytest.mark.parametrize("path", SUBSET, ids=[path.stem for path in SUBSET])
def test_every_parameter_extracts(path: Path) -> None:
    resource = _load(path)
    values = extract_all(resource)
    assert values, "every example has at least one index value"
    rows = index_rows(resource["resourceType"], values)
    stored = {
        row.param
        for table in (rows.string, rows.token, rows.date, rows.number, rows.quantity)
        for row in table
    }
    stored |= {row.param for table in (rows.reference, rows.uri, rows.composite) for row in table}
    stored |= {row.param for row in rows.text}
    # with PHI protection on: phonetic is stored as name, and name (address) keeps only what
    # its parts do not already store
    assert set(values) - stored <= NOT_STORED | set(COVERED_BY)


@pytest.mark.parametrize("path", SUBSET, ids=[path.stem for path in SUBSET])
def test_simple_paths_equal_a_plain_walk(path: Path) -> None:
    compared, mismatches = compare_simple_paths(_load(path))
    assert mismatches == []
    assert compared > 0


@pytest.mark.parametrize("path", SUBSET, ids=[path.stem for path in SUBSET])
def test_fast_path_equals_fhirpathpy(path: Path) -> None:
    assert compare_fast_path(_load(path)) == []


def test_composite_components_take_the_fast_path() -> None:
    """The components of the commonest composites are walked, not interpreted."""
    observation = next(
        _load(path) for path in SUBSET if _load(path)["resourceType"] == "Observation"
    )
    param = default_registry().get("Observation", "code-value-quantity")
    assert param is not None
    for component in param.component:
        compiled = compile_path(component.expression)
        assert all(not isinstance(branch, dict) for branch in compiled._branches)
    assert compare_fast_path(observation) == []


def test_subset_comparisons_are_many() -> None:
    total = sum(compare_simple_paths(_load(path))[0] for path in SUBSET)
    assert total >= 250


@pytest.mark.skipif(
    not SHARED_EXAMPLES.exists(), reason="../shared/fixtures/fhir-r4-examples is not here"
)
def test_all_r4_examples_extract_and_match() -> None:
    paths = sorted(SHARED_EXAMPLES.glob("*.json"))
    assert len(paths) == 466
    failures: list[str] = []
    for path in paths:
        resource = _load(path)
        try:
            extract_all(resource)
        except Exception as error:  # report every failing file, not the first
            failures.append(f"{path.name}: {error}")
        failures.extend(f"{path.name}: {m}" for m in compare_simple_paths(resource)[1])
        failures.extend(f"{path.name}: {m}" for m in compare_fast_path(resource))
    assert failures == []
