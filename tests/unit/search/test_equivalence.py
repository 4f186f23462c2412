"""Extraction over real examples: it never fails, and equals a plain path walk where one applies.

For every parameter whose expression is a plain path (or a union of them), three things agree:
fhirpathpy's items (the interpreter, ``fast=False``), the items of the independent walk in
``path_walk``, and the extracted index values against those of the walked items. And for every
parameter, the production evaluator (with its fast path) gives fhirpathpy's items and types,
and the production extraction (per-type plans, presence pre-checks, fast-path items converted
without an engine item) gives the values of fhirpathpy's items run through the converters.
The copied subset (tests/fixtures/search, 40 files) always runs; all 466 R4 examples under
../shared/fixtures run when that folder is present.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from resources.crypto.phi_params import COVERED_BY, NOT_STORED
from resources.search.extract import CONVERTERS, extract, extract_all
from resources.search.fastpath import PathBranch
from resources.search.fhirpath import CompiledPath, Node, compile_path
from resources.search.index_rows import index_rows
from resources.search.registry import default_registry
from resources.search.values import CompositeValue, IndexValue
from tests.unit.search.path_walk import simple_branches, walk

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "search"
SUBSET = sorted(FIXTURES.glob("*.json"))
SHARED = Path(
    os.environ.get("NUTRIVISION_SHARED_FIXTURES")
    or Path(__file__).resolve().parents[4] / "shared" / "fixtures"
)
"""``../shared/fixtures`` from the repository root (or where the variable says)."""
SHARED_EXAMPLES = SHARED / "fhir-r4-examples" / "resources"


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


def _interpreted_values(code: str, resource: dict[str, Any]) -> list[IndexValue]:
    """One parameter's values with fhirpathpy evaluating every expression (no fast path)."""
    registry = default_registry()
    resource_type = resource["resourceType"]
    param = registry.get(resource_type, code)
    assert param is not None
    expression = param.expression_for(resource_type)
    converter = CONVERTERS.get(param.type)
    if expression is None:
        return extract(resource, param)  # full text: no expression to compare
    roots = _interpreter(expression).evaluate(resource, resource)
    if param.type != "composite":
        if converter is None:
            return []
        return list(dict.fromkeys(v for node in roots for v in converter(node, resource)))
    found: list[IndexValue] = []
    for root in roots:
        per_part = []
        for component in param.component:
            definition = registry.by_url(component.definition)
            assert definition is not None
            part_converter = CONVERTERS[definition.type]
            nodes = _interpreter(component.expression).evaluate(root, resource)
            per_part.append([v for node in nodes for v in part_converter(node, resource)])
        found.extend(CompositeValue(combo) for combo in itertools.product(*per_part))
    return list(dict.fromkeys(found))


def compare_extraction(resource: dict[str, Any]) -> list[str]:
    """Mismatches between ``extract_all`` and the interpreter's values, for every parameter."""
    extracted = extract_all(resource)
    mismatches = []
    for code in default_registry().params_for(resource["resourceType"]):
        expected = _interpreted_values(code, resource)
        if [repr(v) for v in extracted.get(code, [])] != [repr(v) for v in expected]:
            mismatches.append(f"{resource['resourceType']}.{code}: extracted values differ")
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


@pytest.mark.parametrize("path", SUBSET, ids=[path.stem for path in SUBSET])
def test_extraction_equals_fhirpathpy_values(path: Path) -> None:
    assert compare_extraction(_load(path)) == []


FILTERED_SHAPES = [
    "(Observation.value as CodeableConcept).text",
    "Patient.telecom.where(system='phone')",
    "PlanDefinition.relatedArtifact.where(type='composed-of').resource",
    "Observation.subject.where(resolve() is Patient)",
    "(Observation.component.value as Quantity)",
    "Condition.onset.as(Age)",
    "Observation",
]


@pytest.mark.parametrize("expression", FILTERED_SHAPES)
def test_filtered_shapes_take_the_fast_path(expression: str) -> None:
    assert all(isinstance(b, PathBranch) for b in compile_path(expression).branches)


def test_few_registry_branches_are_interpreted() -> None:
    """Only shapes no search needs fast are left to the interpreter (R4 and NutritionIntake)."""
    interpreted = set()
    registry = default_registry()
    for param in registry:
        for base in param.base:
            expression = param.expression_for(base)
            if expression is None:
                continue
            compiled = compile_path(expression)
            if None in compiled.branches:
                interpreted.add(f"{param.code}: {expression}")
    assert interpreted == {
        "composition: Bundle.entry[0].resource",
        "deceased: Patient.deceased.exists() and Patient.deceased != false",
        "message: Bundle.entry[0].resource",
        "name: name | alias",  # relative paths: fast from a resource, not a ``PathBranch``
    }


WHERE_CASES = [
    {"telecom": [{"system": "phone", "value": "1"}, {"system": "email", "value": "a@b"}]},
    {"telecom": [{"system": "Phone", "value": "1"}, {"value": "2"}]},
    {"telecom": [{"_system": {"extension": [{"url": "u", "valueString": "x"}]}, "value": "3"}]},
    {"telecom": [{"system": "phone", "_system": {"id": "s1"}, "value": "4"}]},
    {"telecom": {"system": "phone", "value": "5"}},
    {"telecom": []},
    {},
]


@pytest.mark.parametrize("case", WHERE_CASES)
def test_where_equals_matches_fhirpathpy(case: dict[str, Any]) -> None:
    patient = {"resourceType": "Patient", **case}
    expression = "Patient.telecom.where(system='phone')"
    fast = compile_path(expression).evaluate(patient, patient)
    slow = _interpreter(expression).evaluate(patient, patient)
    assert [(n.value, n.type) for n in fast] == [(n.value, n.type) for n in slow]
    assert compare_extraction(patient) == []


OF_TYPE_TAIL_CASES = [
    {"valueCodeableConcept": {"text": "high", "coding": [{"code": "H"}]}},
    {"valueCodeableConcept": {"coding": [{"code": "H"}]}},
    {"valueCodeableConcept": {"_text": {"extension": [{"url": "u", "valueString": "x"}]}}},
    {"valueString": "plain"},
    {"valueQuantity": {"value": 1, "unit": "mg"}},
    {},
]


@pytest.mark.parametrize("case", OF_TYPE_TAIL_CASES)
def test_of_type_then_steps_matches_fhirpathpy(case: dict[str, Any]) -> None:
    observation = {"resourceType": "Observation", "status": "final", **case}
    expression = "(Observation.value as string) | (Observation.value as CodeableConcept).text"
    fast = compile_path(expression).evaluate(observation, observation)
    slow = _interpreter(expression).evaluate(observation, observation)
    assert [(n.value, n.type) for n in fast] == [(n.value, n.type) for n in slow]
    assert compare_extraction(observation) == []


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
        failures.extend(f"{path.name}: {m}" for m in compare_extraction(resource))
    assert failures == []


SPARSE_CASES = [
    {"resourceType": "Patient", "_birthDate": {"id": "b1"}},
    {"resourceType": "Patient", "_gender": {"extension": [{"url": "u", "valueCode": "x"}]}},
    {"resourceType": "Patient", "deceasedBoolean": False, "multipleBirthInteger": 2},
    {"resourceType": "Observation", "status": "final", "_effectiveDateTime": {"id": "e"}},
    {"resourceType": "Observation", "status": "final", "valueQuantity": None, "code": {}},
    {"resourceType": "Observation", "component": [None, {"code": {"text": "c"}}]},
    {"resourceType": "Observation", "effectivePeriod": {"start": "2020"}, "valueBoolean": True},
    {"resourceType": "Condition", "onsetAge": {"value": 3, "unit": "a"}},
]


@pytest.mark.parametrize("resource", SPARSE_CASES)
def test_presence_pre_check_skips_only_empty_parameters(resource: dict[str, Any]) -> None:
    """Parameters skipped for want of their first key (choice types and ``_x`` extensions
    count as present) give what fhirpathpy gives."""
    assert compare_extraction(resource) == []


SYNTHEA = Path(__file__).resolve().parents[2] / "fixtures" / "synthea"


def _synthea_sample() -> list[dict[str, Any]]:
    """The first resources of each type in the copied Synthea Bundles, and every Observation
    with components (blood pressure: composites over ``Observation | Observation.component``)."""
    sample: list[dict[str, Any]] = []
    per_type: dict[str, int] = {}
    for path in sorted(SYNTHEA.glob("*.json")):
        for entry in _load(path)["entry"]:
            resource = entry["resource"]
            kind = resource["resourceType"]
            if per_type.get(kind, 0) < 3 or ("component" in resource and per_type[kind] < 40):
                per_type[kind] = per_type.get(kind, 0) + 1
                sample.append(resource)
    return sample


def test_synthea_resources_extract_as_fhirpathpy_does() -> None:
    """Real records, shared paths and component Observations included: the values of
    ``extract_all`` (walked paths and composites, shared per resource) are fhirpathpy's."""
    sample = _synthea_sample()
    assert sum("component" in resource for resource in sample) >= 10
    failures = [m for resource in sample for m in compare_extraction(resource)]
    assert failures == []


CODE = {"coding": [{"system": "http://loinc.org", "code": "8310-5"}], "text": "T"}
COMPOSITE_CASES = [
    {"code": CODE, "valuePeriod": {"start": "2020-01-01", "end": "2020-02-01"}},
    {"code": CODE, "valueDateTime": "2020-03-04T05:06:07Z"},
    {"code": CODE, "valueString": "high", "_valueString": {"id": "v"}},
    {"code": CODE, "_valueString": {"extension": [{"url": "u", "valueString": "x"}]}},
    {"code": CODE, "valueCodeableConcept": CODE, "component": [{"code": CODE}]},
    {
        "code": CODE,
        "component": [
            {"code": CODE, "valueQuantity": {"value": 1, "system": "s", "code": "mm"}},
            {"code": CODE, "valuePeriod": {"start": "2021"}},
            {"code": CODE, "valueCodeableConcept": {"text": "x"}},
        ],
    },
]


@pytest.mark.parametrize("case", COMPOSITE_CASES)
def test_composites_of_each_value_type_match_fhirpathpy(case: dict[str, Any]) -> None:
    """Composites over each value type (``code-value-date`` is a union of two walked paths)
    and over components: the walked composites give fhirpathpy's values."""
    observation = {"resourceType": "Observation", "status": "final", **case}
    assert compare_extraction(observation) == []
