"""The guide's conformance resources served read-only, and the statement that points at them."""

from __future__ import annotations

import httpx
import pytest

from conformance.statement_views import NORMATIVE_TYPES
from profiles_ig.canonical import IG_URL, profile_url
from resources import error_codes
from tests.integration.fhir_http import assert_outcome

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "path",
    [
        "ImplementationGuide/nutrivision",
        "StructureDefinition/nv-nutrition-intake",
        "StructureDefinition/recognition-evidence",
        "ValueSet/input-source",
        "CodeSystem/input-source",
        "SearchParameter/nutritionintake-input-source",
        "CapabilityStatement/nutrivision-server",
        "OperationDefinition/Resource-validate",
    ],
)
def test_each_kind_of_guide_resource_is_served(client: httpx.Client, path: str) -> None:
    response = client.get(f"/{path}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert f"{body['resourceType']}/{body['id']}" == path


def test_a_served_profile_has_its_generated_snapshot(client: httpx.Client) -> None:
    body = client.get("/StructureDefinition/nv-condition").json()
    assert body["url"] == profile_url("nv-condition")
    assert len(body["snapshot"]["element"]) > len(body["differential"]["element"])


def test_an_id_the_guide_lacks_falls_back_to_the_store(client: httpx.Client) -> None:
    assert_outcome(client.get("/StructureDefinition/not-ours"), 404, error_codes.RESOURCE_NOT_FOUND)


def test_the_statement_names_the_guide_profiles_and_operations(client: httpx.Client) -> None:
    statement = client.get("/metadata").json()
    assert statement["implementationGuide"] == [IG_URL]
    entries = {entry["type"]: entry for entry in statement["rest"][0]["resource"]}
    assert entries["NutritionIntake"]["supportedProfile"] == [profile_url("nv-nutrition-intake")]
    operations = {op["name"]: op["definition"] for op in entries["Patient"]["operation"]}
    assert operations["validate"] == "http://hl7.org/fhir/OperationDefinition/Resource-validate"
    names = {param["name"] for param in entries["Patient"]["searchParam"]}
    assert {"name", "birthdate", "_lastUpdated"} <= names
    assert "near" not in {p["name"] for p in entries["Location"]["searchParam"]}


def test_metadata_summary_and_normative_views(client: httpx.Client) -> None:
    full = client.get("/metadata").json()
    summary = client.get("/metadata", params={"_summary": "true"}).json()
    assert summary["meta"]["tag"][0]["code"] == "SUBSETTED"
    entry = next(r for r in summary["rest"][0]["resource"] if r["type"] == "Patient")
    assert "searchParam" not in entry
    assert "interaction" not in entry
    assert entry["supportedProfile"] == [profile_url("nv-patient")]
    normative = client.get("/metadata", params={"mode": "normative"}).json()
    types = {r["type"] for r in normative["rest"][0]["resource"]}
    assert types == NORMATIVE_TYPES
    assert len(full["rest"][0]["resource"]) > len(types)
    for params in ({"mode": "terminology"}, {"_summary": "count"}):
        assert_outcome(
            client.get("/metadata", params=params), 400, error_codes.METADATA_BAD_PARAMETER
        )


def test_the_guide_resources_are_searchable(client: httpx.Client) -> None:
    bundle = client.get("/StructureDefinition", params={"url": profile_url("nv-patient")}).json()
    assert [e["resource"]["id"] for e in bundle.get("entry", [])] == ["nv-patient"]
    bundle = client.get("/ValueSet", params={"name": "InputSource"}).json()
    assert [e["resource"]["id"] for e in bundle.get("entry", [])] == ["input-source"]
    bundle = client.get("/OperationDefinition", params={"code": "validate"}).json()
    assert "Resource-validate" in [e["resource"]["id"] for e in bundle.get("entry", [])]


def test_the_guide_resources_are_read_only(client: httpx.Client) -> None:
    body = client.get("/CodeSystem/input-source").json()
    assert_outcome(
        client.put("/CodeSystem/input-source", json=body), 405, error_codes.IG_RESOURCE_READ_ONLY
    )
    assert_outcome(
        client.delete("/CodeSystem/input-source"), 405, error_codes.IG_RESOURCE_READ_ONLY
    )
    own = {"resourceType": "CodeSystem", "id": "mine", "status": "draft", "content": "not-present"}
    assert client.put("/CodeSystem/mine", json=own).status_code == 201
    assert client.get("/CodeSystem/mine").json()["status"] == "draft"
