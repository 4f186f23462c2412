"""Slicing by type, exists and profile discriminators, and closed slicing, on test profiles."""

from __future__ import annotations

import functools
from typing import Any

from profiles_ig.definitions import load_definitions
from profiles_ig.validator import Validator
from resources.errors import Issue

HL7 = "http://hl7.org/fhir/StructureDefinition/"
TYPE_SLICED = "urn:test:type-sliced"
PROFILE_SLICED = "urn:test:profile-sliced"


def _profile(url: str, type_: str, elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "StructureDefinition",
        "url": url,
        "name": url.rsplit(":", 1)[-1],
        "type": type_,
        "kind": "resource",
        "baseDefinition": HL7 + type_,
        "derivation": "constraint",
        "differential": {"element": elements},
    }


def _element(id_: str, **fields: Any) -> dict[str, Any]:
    return {"id": id_, "path": ".".join(p.split(":")[0] for p in id_.split(".")), **fields}


@functools.cache
def _validator() -> Validator:
    by_type = _profile(TYPE_SLICED, "Observation", [
        _element("Observation.value[x]", slicing={
            "discriminator": [{"type": "type", "path": "$this"}], "rules": "closed"}),
        _element("Observation.value[x]:valueQuantity", sliceName="valueQuantity",
                 min=0, max="1", type=[{"code": "Quantity"}]),
    ])  # fmt: skip
    by_profile = _profile(PROFILE_SLICED, "Patient", [
        _element("Patient.extension", slicing={
            "discriminator": [{"type": "profile", "path": "$this"}], "rules": "open"}),
        _element("Patient.extension:confidence", sliceName="confidence", min=1, max="1",
                 type=[{"code": "Extension", "profile": [
                     "https://nutrivision.example.org/fhir/StructureDefinition/recognition-confidence"]}]),
    ])  # fmt: skip
    return Validator(load_definitions([by_type, by_profile]))


def _errors(resource: dict[str, Any], profile: str) -> list[Issue]:
    return [i for i in _validator().validate(resource, profile) if i.severity == "error"]


def test_a_type_slice_takes_its_type_and_closed_slicing_refuses_others() -> None:
    observation = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
    assert _errors({**observation, "valueQuantity": {"value": 1}}, TYPE_SLICED) == []
    errors = _errors({**observation, "valueString": "high"}, TYPE_SLICED)
    assert [e.expression for e in errors] == [("Observation.valueString",)]
    assert "closed" in errors[0].diagnostics


def test_a_profile_slice_takes_the_items_conforming_to_its_profile() -> None:
    url = "https://nutrivision.example.org/fhir/StructureDefinition/recognition-confidence"
    patient: dict[str, Any] = {"resourceType": "Patient"}
    patient["extension"] = [{"url": url, "valueDecimal": 0.5}]
    assert _errors(patient, PROFILE_SLICED) == []
    patient["extension"] = [{"url": url, "valueString": "sure"}]  # conforms no more
    errors = _errors(patient, PROFILE_SLICED)
    # the slice is now empty, and the extension still breaks its own definition
    assert {e.expression for e in errors} == {
        ("Patient.extension",),
        ("Patient.extension[0].value",),
    }
    assert any("slice confidence" in e.diagnostics for e in errors)
