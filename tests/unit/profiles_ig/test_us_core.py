"""US Core profiles reconstructed from the Inferno test kit's metadata: their snapshots, and the
Inferno reference data validated against the profiles each resource claims.

Needs ``../shared/fixtures`` (the test kit and the reference data); skipped without it.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import pytest

from profiles_ig.definitions import default_definitions, load_definitions
from profiles_ig.us_core import Reconstruction, reconstruct_all
from profiles_ig.us_core_report import (
    metadata_file,
    reference_resources,
    us_core_validator,
    validate_reference_data,
)
from profiles_ig.validation import is_error, validate_resource
from profiles_ig.validator import Validator
from tests.ig_data import SHARED

US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
V311 = metadata_file(SHARED, "v3.1.1")

pytestmark = pytest.mark.skipif(
    not V311.is_file() or not any(reference_resources(SHARED)),
    reason="../shared/fixtures lacks the Inferno US Core test kit or reference data",
)


@functools.cache
def _reconstructions() -> list[Reconstruction]:
    return reconstruct_all(V311, default_definitions())


@functools.cache
def _validator() -> Validator:
    return us_core_validator(V311)


def _claiming(profile: str) -> dict[str, Any]:
    for resource in reference_resources(SHARED):
        if US_CORE + profile in resource.get("meta", {}).get("profile", []):
            return copy.deepcopy(resource)
    raise AssertionError(f"no reference resource claims {profile}")


def _error_paths(resource: dict[str, Any]) -> list[str]:
    issues = validate_resource(resource, validator=_validator())
    return [path for issue in issues if is_error(issue) for path in issue.expression]


def test_every_us_core_311_profile_gets_a_snapshot_holding_its_differential() -> None:
    profiles = [r.profile for r in _reconstructions()]
    assert len(profiles) == 32
    definitions = load_definitions(profiles)
    for profile in profiles:
        snapshot = definitions.structures[profile["url"]]["snapshot"]["element"]
        ids = {e["id"] for e in snapshot}
        assert {e["id"] for e in profile["differential"]["element"]} <= ids, profile["id"]
        assert len(snapshot) > len(profile["differential"]["element"]), profile["id"]


def test_the_metadata_becomes_cardinality_slices_patterns_and_targets() -> None:
    definitions = load_definitions([r.profile for r in _reconstructions()])
    pulse = definitions.structures[US_CORE + "us-core-pulse-oximetry"]["snapshot"]["element"]
    by_id = {e["id"]: e for e in pulse}
    assert [t["code"] for t in by_id["Observation.value[x]"]["type"]] == ["Quantity"]
    assert by_id["Observation.value[x].code"]["fixedCode"] == "%"
    slice_ = by_id["Observation.code.coding:PulseOx"]
    assert slice_["patternCoding"] == {"code": "59408-5", "system": "http://loinc.org"}
    assert by_id["Observation.component:FlowRate.value[x].code"]["fixedCode"] == "L/min"
    condition = definitions.structures[US_CORE + "us-core-condition"]["snapshot"]["element"]
    subject = {e["id"]: e for e in condition}["Condition.subject"]
    assert subject["min"] == 1
    assert subject["mustSupport"] is True
    assert subject["type"][0]["targetProfile"] == [US_CORE + "us-core-patient"]


def test_the_reference_data_against_us_core_311() -> None:
    report = validate_reference_data(SHARED, _validator())
    assert (report.resources, report.checked, report.passed) == (800, 719, 716)
    assert {id_: len(errors) for id_, errors in report.failed.items()} == {
        # "stop" is not an element of Period ("end" is): an error of the data
        "3c766796-d8a0-480f-8215-f1e7e3afab21": 1,
        # derived from US Core 8 examples, where gender is optional (1..1 in 3.1.1)
        "908": 1,
        # members PractitionerRole and RelatedPerson: allowed from US Core 4, not in 3.1.1
        "us-core-client-tests-care-team": 2,
    }


def test_a_condition_without_its_mandatory_category_is_refused() -> None:
    condition = _claiming("us-core-condition")
    assert _error_paths(condition) == []
    del condition["category"]
    assert _error_paths(condition) == ["Condition.category"]


def test_a_reference_to_a_type_the_profile_does_not_allow_is_refused() -> None:
    condition = _claiming("us-core-condition")
    condition["subject"] = {"reference": "Group/1"}
    assert _error_paths(condition) == ["Condition.subject.reference"]


def test_a_pulse_oximetry_value_of_another_type_or_unit_is_refused() -> None:
    observation = _claiming("us-core-pulse-oximetry")
    observation["valueQuantity"]["code"] = "kg"
    assert _error_paths(observation) == ["Observation.valueQuantity.code"]
    del observation["valueQuantity"]
    observation["valueString"] = "98"
    assert "Observation.value" in _error_paths(observation)


def test_a_code_outside_a_required_binding_is_refused() -> None:
    condition = _claiming("us-core-condition")
    condition["clinicalStatus"]["coding"][0]["code"] = "nearly-gone"
    assert "Condition.clinicalStatus" in _error_paths(condition)


def test_the_reference_data_against_us_core_610() -> None:
    metadata = metadata_file(SHARED, "v6.1.0")
    if not metadata.is_file():
        pytest.skip("../shared/fixtures lacks the test kit's v6.1.0 metadata")
    assert len(reconstruct_all(metadata, default_definitions())) == 48
    report = validate_reference_data(SHARED, us_core_validator(metadata))
    assert (report.resources, report.checked, report.passed) == (800, 723, 722)
    assert list(report.failed) == ["908"]  # gender: optional only from US Core 8
