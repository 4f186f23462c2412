"""The strict walk that decides alone when the fhir.resources models would accept a resource.

``validation_issues`` builds the library's models only when the walk met something it does
not check in full. These tests hold it to the models: on valid resources and on thousands of
seeded near-misses of them (``model_mutations``), ``validation_issues`` answers exactly what
walking and then building the models answers.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from resources import fhir_json
from resources.errors import Issue
from resources.model import _model_issues, _StrictWalker, validation_issues
from tests.examples import NUTRITION_INTAKE_EXAMPLE, r4_example_paths
from tests.ig_data import R4_EXAMPLES_SHARED
from tests.synthea import SYNTHEA_DIR
from tests.unit.resources.model_mutations import mutants


def _read(path: Path) -> Any:
    return fhir_json.loads(path.read_bytes())


def _synthea() -> list[dict[str, Any]]:
    return [
        entry["resource"]
        for path in sorted(SYNTHEA_DIR.glob("*.json"))
        for entry in _read(path)["entry"]
    ]


def _examples() -> list[dict[str, Any]]:
    return [_read(path) for path in [*r4_example_paths(), NUTRITION_INTAKE_EXAMPLE]]


def _walk(data: dict[str, Any]) -> _StrictWalker:
    walker = _StrictWalker()
    walker.resource(data, "")
    return walker


def _with_the_models(data: dict[str, Any]) -> list[Issue]:
    """The answer without the shortcut: the walk's issues, or else the models'."""
    walker = _walk(data)
    return walker.issues or _model_issues(data["resourceType"], data)


def _compare(resources: list[dict[str, Any]], per_resource: int) -> dict[str, int]:
    """Every mutant answered alike with and without the shortcut; counts of each path."""
    counts = {"walked": 0, "refused by the walk": 0, "to the models": 0, "refused": 0}
    differences = []
    for number, resource in enumerate(resources):
        for mutant, what in mutants(resource, random.Random(number), per_resource):
            walker = _walk(mutant)
            expected = _with_the_models(mutant)
            if walker.issues:
                counts["refused by the walk"] += 1
            elif walker.complete:
                counts["walked"] += 1
            else:
                counts["to the models"] += 1
                counts["refused"] += bool(expected)
            if validation_issues(mutant) != expected:
                differences.append(f"{resource.get('id')} {what}: {expected[:1]}")
    assert differences == []
    return counts


def test_every_synthea_resource_is_decided_by_the_walk() -> None:
    resources = _synthea()
    assert len(resources) == 301
    left = [f"{r['resourceType']}/{r['id']}" for r in resources if not _walk(r).complete]
    assert left == []
    assert all(validation_issues(r) == [] for r in resources)
    assert all(_model_issues(r["resourceType"], r) == [] for r in resources)


def test_near_misses_of_the_copied_examples_are_answered_as_the_models_answer() -> None:
    counts = _compare(_synthea() + _examples(), per_resource=8)
    # Each path was taken often: accepted by the walk, refused by it, and sent to the models
    # (which refused most of those).
    assert counts["walked"] >= 850
    assert counts["refused by the walk"] >= 700
    assert counts["refused"] >= 500


@pytest.mark.skipif(
    not R4_EXAMPLES_SHARED.exists(), reason="../shared/fixtures/fhir-r4-examples is not here"
)
def test_near_misses_of_every_r4_example_are_answered_as_the_models_answer() -> None:
    examples = [_read(path) for path in sorted(R4_EXAMPLES_SHARED.glob("*.json"))]
    assert len(examples) == 466
    assert all(validation_issues(e) == _with_the_models(e) for e in examples)
    counts = _compare(examples, per_resource=6)
    assert counts["walked"] >= 900


def test_a_resource_inside_an_r5_one_is_checked_with_the_r5_model() -> None:
    intake = _read(NUTRITION_INTAKE_EXAMPLE)
    r4_order = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "subject": {"display": "p"},
        "medicationCodeableConcept": {"text": "x"},
    }
    assert validation_issues(r4_order) == []
    issues = validation_issues({**intake, "contained": [r4_order]})
    paths = {issue.expression[0] for issue in issues}
    assert "NutritionIntake.contained[0].medicationCodeableConcept" in paths


def _intake() -> dict[str, Any]:
    return {k: v for k, v in _read(NUTRITION_INTAKE_EXAMPLE).items() if k != "contained"}


def test_an_r5_resource_inside_an_r4_one_is_checked_with_its_own_model() -> None:
    patient: dict[str, Any] = {"resourceType": "Patient", "contained": [_intake()]}
    assert validation_issues(patient) == []
    patient["contained"][0]["status"] = "eaten"
    issues = validation_issues(patient)
    assert [(i.code, i.expression) for i in issues] == [
        ("code-invalid", ("Patient.contained[0].status",))
    ]
    assert issues[0].diagnostics.startswith("Patient.contained[0].status: ")


def test_the_r4_models_check_the_rest_of_a_bundle_that_holds_an_r5_resource() -> None:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": "urn:uuid:1", "resource": _intake()}],
    }
    assert validation_issues(bundle) == []
    bundle["entry"].append({"fullUrl": "urn:uuid:2", "resource": {"resourceType": "Patient"}})
    bundle["entry"][1]["resource"]["nickname"] = "x"  # the walk leaves it to the models
    issues = validation_issues(bundle)
    assert [i.expression for i in issues] == [("Bundle.entry[1].resource.nickname",)]
    # positions stay those of the resource as sent
    patient: dict[str, Any] = {"resourceType": "Patient"}
    patient["contained"] = [_intake(), {"resourceType": "Patient", "nickname": "x"}]
    issues = validation_issues(patient)
    assert [i.expression for i in issues] == [("Patient.contained[1].nickname",)]


@pytest.mark.parametrize(
    ("resource", "path"),
    [
        (
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"text": "t"},
                "valueString": "a",
                "valueBoolean": True,
            },
            "Observation",
        ),
        ({"resourceType": "Observation", "code": {"text": "t"}}, "Observation.status"),
        ({"resourceType": "Observation", "status": "final"}, "Observation.code"),
        (
            {"resourceType": "Patient", "extension": [{"valueString": "x"}]},
            "Patient.extension[0].url",
        ),
        (
            {"resourceType": "Patient", "multipleBirthInteger": 2**31},
            "Patient.multipleBirthInteger",
        ),
        ({"resourceType": "Patient", "birthDate": "2019-02-29"}, "Patient.birthDate"),
        ({"resourceType": "Patient", "id": "a b"}, "Patient.id"),
        ({"resourceType": "Patient", "gender_": "male"}, "Patient.gender_"),
        (
            {"resourceType": "Patient", "contained": [None]},
            "Patient.contained",
        ),
    ],
    ids=[
        "two-choices",
        "required-primitive",
        "required-element",
        "extension-without-url",
        "integer-past-32-bits",
        "no-29-february",
        "id-with-space",
        "unknown-element",
        "null-resource",
    ],
)
def test_what_the_walk_does_not_accept_goes_to_the_models(
    resource: dict[str, Any], path: str
) -> None:
    walker = _walk(resource)
    assert walker.issues == []
    assert not walker.complete
    issues = validation_issues(resource)
    assert issues
    assert any(path in issue.expression[0] for issue in issues), [i.to_json() for i in issues]


def test_a_value_accepted_by_one_primitive_type_is_checked_again_for_another() -> None:
    """The walk remembers values each primitive type accepted (``_ACCEPTED``): a code with a
    space is a valid ``code`` and not a valid ``id``, and ``1`` is an integer, not a boolean."""
    coded = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://example.org", "code": "a b"}]},
    }
    assert validation_issues(coded) == []
    assert _walk(coded).complete  # remembered as a code
    with_id = {**coded, "id": "a b"}
    assert not _walk(with_id).complete
    assert any("id" in issue.expression[0] for issue in validation_issues(with_id))
    counted = {"resourceType": "Patient", "multipleBirthInteger": 1}
    assert validation_issues(counted) == []
    assert validation_issues({"resourceType": "Patient", "multipleBirthBoolean": 1})
