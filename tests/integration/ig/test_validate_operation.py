"""``$validate`` over HTTP: type and instance level, ``mode`` and ``profile``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from resources import error_codes
from tests.ig_data import profiled, url
from tests.integration.fhir_http import assert_outcome, create

pytestmark = pytest.mark.integration


def _parameters(resource: dict[str, Any] | None = None, **values: str) -> dict[str, Any]:
    entries: list[dict[str, Any]] = [{"name": "resource", "resource": resource}] if resource else []
    entries += [
        {"name": name, "valueCode" if name == "mode" else "valueUri": value}
        for name, value in values.items()
    ]
    return {"resourceType": "Parameters", "parameter": entries}


def _issues(response: httpx.Response, severity: str = "error") -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return [issue for issue in body["issue"] if issue["severity"] == severity]


def test_a_conforming_resource_gets_an_information_issue_only(client: httpx.Client) -> None:
    patient = profiled("nv-patient")
    response = client.post(
        "/Patient/$validate", json=_parameters(patient, profile=url("nv-patient"))
    )
    assert _issues(response) == []
    assert _issues(response, "warning") == [] or all(
        "dom-6" in i["diagnostics"] for i in _issues(response, "warning")
    )


def test_the_profile_parameter_applies_that_profile(client: httpx.Client) -> None:
    patient = profiled("nv-patient")
    del patient["meta"]
    del patient["birthDate"]
    assert _issues(client.post("/Patient/$validate", json=_parameters(patient))) == []
    response = client.post(
        "/Patient/$validate", json=_parameters(patient, profile=url("nv-patient"))
    )
    assert [i["expression"] for i in _issues(response)] == [["Patient.birthDate"]]


def test_the_resource_can_be_the_whole_body(client: httpx.Client) -> None:
    allergy = profiled("nv-allergy-intolerance")
    allergy["patient"] = {"reference": "Group/1"}
    errors = _issues(client.post("/AllergyIntolerance/$validate", json=allergy))
    assert [i["expression"] for i in errors] == [["AllergyIntolerance.patient.reference"]]


def test_a_structural_error_is_reported_with_its_path(client: httpx.Client) -> None:
    patient = {"resourceType": "Patient", "gender": "robot"}
    errors = _issues(client.post("/Patient/$validate", json=_parameters(patient)))
    assert [i["expression"] for i in errors] == [["Patient.gender"]]


def test_instance_level_validates_the_stored_resource(client: httpx.Client) -> None:
    stored = create(client, {"resourceType": "Patient", "active": True})
    for response in (
        client.get(f"/Patient/{stored['id']}/$validate"),
        client.get(f"/Patient/{stored['id']}/$validate", params={"profile": url("nv-patient")}),
    ):
        assert response.status_code == 200, response.text
    profile = {"profile": url("nv-patient")}
    errors = _issues(client.get(f"/Patient/{stored['id']}/$validate", params=profile))
    assert {i["expression"][0] for i in errors} == {
        "Patient",
        "Patient.identifier",
        "Patient.name",
        "Patient.gender",
        "Patient.birthDate",
    }  # fmt: skip (the first is the invariant nv-pat-1 on the name)


def test_mode_update_needs_the_instance_id(client: httpx.Client) -> None:
    stored = create(client, {"resourceType": "Patient", "active": True})
    body = _parameters({"resourceType": "Patient", "id": "other"}, mode="update")
    errors = _issues(client.post(f"/Patient/{stored['id']}/$validate", json=body))
    assert [i["expression"] for i in errors] == [["id"]]
    body = _parameters({"resourceType": "Patient"}, mode="update")
    assert [i["expression"] for i in _issues(client.post("/Patient/$validate", json=body))] == [
        ["id"]
    ]


def test_mode_delete_needs_an_existing_instance(client: httpx.Client) -> None:
    stored = create(client, {"resourceType": "Patient", "active": True})
    ok = client.post(f"/Patient/{stored['id']}/$validate", json=_parameters(mode="delete"))
    assert _issues(ok) == []
    missing = client.post("/Patient/no-such-one/$validate", json=_parameters(mode="delete"))
    assert_outcome(missing, 404, error_codes.RESOURCE_NOT_FOUND)


def test_bad_requests_are_400_with_their_codes(client: httpx.Client) -> None:
    patient = {"resourceType": "Patient"}
    cases = [
        (_parameters(patient, mode="replace"), error_codes.VALIDATE_BAD_MODE),
        (_parameters(patient, profile="http://example.org/nope"), error_codes.UNKNOWN_PROFILE),
        (_parameters(), error_codes.VALIDATE_NO_RESOURCE),
        (_parameters({"resourceType": "Observation"}), error_codes.VALIDATE_WRONG_TYPE),
    ]
    for body, code in cases:
        assert_outcome(client.post("/Patient/$validate", json=body), 400, code)
