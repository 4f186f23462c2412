"""The CapabilityStatement lists what the REST core serves."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.capability_statement import SOFTWARE_NAME, capability_statement
from conformance.restrictions import Restriction
from resources.model import validation_issues
from resources.resource_types import SERVED_TYPES

BASE = "https://fhir.example.org/fhir"
DATE = "2024-01-01T00:00:00Z"


@pytest.fixture
def statement() -> dict[str, Any]:
    """The statement for a server at ``BASE``."""
    return capability_statement(BASE, DATE)


def _resource(statement: dict[str, Any], resource_type: str) -> dict[str, Any]:
    entries = [r for r in statement["rest"][0]["resource"] if r["type"] == resource_type]
    assert len(entries) == 1, resource_type
    entry: dict[str, Any] = entries[0]
    return entry


def test_header(statement: dict[str, Any]) -> None:
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["kind"] == "instance"
    assert statement["status"] == "active"
    assert statement["date"] == DATE
    assert statement["implementation"]["url"] == BASE
    assert statement["software"]["name"] == SOFTWARE_NAME
    assert "application/fhir+json" in statement["format"]
    assert statement["patchFormat"] == ["application/json-patch+json", "application/fhir+json"]
    assert statement["rest"][0]["mode"] == "server"


@pytest.mark.parametrize("resource_type", ["Patient", "NutritionIntake"])
def test_core_types_have_read_and_create(statement: dict[str, Any], resource_type: str) -> None:
    entry = _resource(statement, resource_type)
    codes = {interaction["code"] for interaction in entry["interaction"]}
    assert {"read", "vread", "create", "update", "patch", "delete", "search-type"} <= codes
    assert {"history-instance", "history-type"} <= codes
    assert entry["profile"] == f"http://hl7.org/fhir/StructureDefinition/{resource_type}"
    assert entry["versioning"] == "versioned-update"
    assert entry["conditionalCreate"] is True
    assert entry["conditionalUpdate"] is True
    assert entry["conditionalDelete"] == "single"
    assert {"_id", "_lastUpdated"} <= {p["name"] for p in entry["searchParam"]}


def test_nutrition_intake_is_documented_as_r5(statement: dict[str, Any]) -> None:
    assert "R5" in _resource(statement, "NutritionIntake")["documentation"]
    assert "documentation" not in _resource(statement, "Patient")


def test_every_served_type_is_listed_once_in_order(statement: dict[str, Any]) -> None:
    types = [entry["type"] for entry in statement["rest"][0]["resource"]]
    assert types == sorted(SERVED_TYPES)


def test_system_history_is_listed(statement: dict[str, Any]) -> None:
    assert statement["rest"][0]["interaction"] == [
        {"code": "transaction"},
        {"code": "batch"},
        {"code": "history-system"},
    ]


def test_the_statement_is_a_valid_resource(statement: dict[str, Any]) -> None:
    assert validation_issues(statement) == []


def test_a_type_served_by_its_own_routes_claims_only_what_they_serve() -> None:
    restriction = Restriction(interactions=("read", "search-type"), search_params=("date",))
    statement = capability_statement(BASE, DATE, restrictions={"AuditEvent": restriction})
    entries = {e["type"]: e for e in statement["rest"][0]["resource"]}
    audit = entries["AuditEvent"]
    assert [i["code"] for i in audit["interaction"]] == ["read", "search-type"]
    assert [p["name"] for p in audit["searchParam"]] == ["date"]
    assert "searchInclude" not in audit
    assert "searchRevInclude" not in audit
    assert "updateCreate" not in audit
    assert not [r for r in entries["Patient"]["searchRevInclude"] if r.startswith("AuditEvent:")]
    unrestricted = capability_statement(BASE, DATE)["rest"][0]["resource"]
    patient = next(e for e in unrestricted if e["type"] == "Patient")
    assert [r for r in patient["searchRevInclude"] if r.startswith("AuditEvent:")]
