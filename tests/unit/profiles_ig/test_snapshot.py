"""Snapshot generation from differentials (our profiles; the US Core reconstructions are in
``test_us_core.py``)."""

from __future__ import annotations

import pytest

from profiles_ig.definitions import default_definitions
from profiles_ig.snapshot import SnapshotError, generate_snapshot
from profiles_ig.validation import is_error, validate_resource
from tests.ig_data import url


def _ids(profile: str) -> list[str]:
    definition = default_definitions().structure(url(profile))
    assert definition is not None
    return [str(e["id"]) for e in definition["snapshot"]["element"]]


def test_every_profile_of_the_guide_has_a_snapshot_rooted_at_its_type() -> None:
    definitions = default_definitions()
    profiles = list(definitions.guide_of_type("StructureDefinition"))
    assert len(profiles) >= 13
    for profile in profiles:
        elements = profile["snapshot"]["element"]
        assert elements[0]["path"] == profile["type"], profile["id"]
        assert len(elements) > len(profile["differential"]["element"]), profile["id"]


def test_a_slice_is_placed_after_its_sliced_element_with_the_type_children() -> None:
    ids = _ids("nv-observation-lab")
    coding = ids.index("Observation.code.coding")
    assert ids[coding + 1] == "Observation.code.coding:loinc"
    assert "Observation.code.coding:loinc.system" in ids
    assert ids.index("Observation.code.coding:loinc.system") < ids.index("Observation.code.text")


def test_differential_values_are_merged_and_constraints_added() -> None:
    definition = default_definitions().structure(url("nv-condition"))
    assert definition is not None
    by_id = {e["id"]: e for e in definition["snapshot"]["element"]}
    assert by_id["Condition.code"]["min"] == 1
    assert by_id["Condition.code"]["binding"]["strength"] == "required"
    keys = [c["key"] for c in by_id["Condition.code.coding"]["constraint"]]
    assert "ele-1" in keys
    assert "nv-cond-1" in keys


def test_the_nutrition_intake_profile_derives_from_the_r5_definition() -> None:
    definition = default_definitions().structure(url("nv-nutrition-intake"))
    assert definition is not None
    assert definition["baseDefinition"] == "http://hl7.org/fhir/StructureDefinition/NutritionIntake"
    ids = [e["id"] for e in definition["snapshot"]["element"]]
    assert "NutritionIntake.extension:inputSource" in ids
    assert "NutritionIntake.consumedItem.nutritionProduct" in ids


def test_complex_extension_slices_expand_the_extension_type() -> None:
    ids = _ids("recognition-evidence")
    assert "Extension.extension:boundingBox.value[x]" in ids
    assert "Extension.extension:kind.url" in ids


def test_a_differential_naming_an_unknown_element_is_refused() -> None:
    definitions = default_definitions()
    broken = {
        "url": "urn:test:broken",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Patient",
        "differential": {"element": [{"id": "Patient.nonsense", "path": "Patient.nonsense"}]},
    }
    with pytest.raises(SnapshotError):
        generate_snapshot(broken, definitions.resolve)


def test_every_published_resource_of_the_guide_is_valid_fhir() -> None:
    for resource in default_definitions().guide:
        errors = [i for i in validate_resource(resource) if is_error(i)]
        assert errors == [], (resource["resourceType"], resource["id"])
