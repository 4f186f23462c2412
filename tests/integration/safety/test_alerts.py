"""The re-check on writes: DetectedIssues per cause, Flags, warnings to the writer, no
duplicates on re-checks, transactions, and acknowledgement."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.integration.safety.helpers import allergy, create, intake, statement
from tests.synthea import SYNTHEA_DIR

pytestmark = pytest.mark.integration

FINDING_SYSTEM = "https://nutrivision.example.org/fhir/NamingSystem/safety-finding"
OUTCOME = {"Prefer": "return=OperationOutcome"}


def _synthea_patient(client: httpx.Client) -> str:
    bundle = json.loads(
        (SYNTHEA_DIR / "Liz_Conn_27c911c6-f045-4ffa-af5d-6eba57ac94b2.json").read_text()
    )
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    body = {k: v for k, v in patient.items() if k != "id"}
    return f"Patient/{create(client, body)['id']}"


def _search(client: httpx.Client, resource_type: str, patient: str) -> list[dict[str, Any]]:
    key = "subject" if resource_type == "Flag" else "patient"
    response = client.get(f"/{resource_type}", params={key: patient, "_count": "100"})
    assert response.status_code == 200, response.text
    return [e["resource"] for e in response.json().get("entry", [])]


def _warnings(response: httpx.Response) -> list[str]:
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return [i["diagnostics"] for i in body["issue"] if i["severity"] == "warning"]


def _patient_with_statin_and_tree_nut_allergy(client: httpx.Client) -> str:
    patient = _synthea_patient(client)
    create(client, statement(patient, "atorvastatin 20 MG Oral Tablet", "617310"))
    create(client, allergy(patient, "Tree nuts", "13577000"))
    return patient


def test_logging_grapefruit_and_almond_cookies_raises_two_issues_and_a_flag(
    client: httpx.Client,
) -> None:
    patient = _patient_with_statin_and_tree_nut_allergy(client)
    first = client.post(
        "/NutritionIntake",
        json=intake(patient, "grapefruit juice and almond cookies"),
        headers=OUTCOME,
    )
    warnings = _warnings(first)
    assert len(warnings) == 2
    issues = _search(client, "DetectedIssue", patient)
    assert sorted(i["severity"] for i in issues) == ["high", "moderate"]
    assert {i["code"]["coding"][0]["code"] for i in issues} == {"FOOD", "ALLERGY"}
    intake_ref = first.headers["location"].split("/fhir/", 1)[1].rsplit("/_history", 1)[0]
    assert all({"reference": intake_ref} in i["implicated"] for i in issues)
    flags = _search(client, "Flag", patient)
    assert len(flags) == 1
    assert flags[0]["status"] == "active"

    second = client.post(
        "/NutritionIntake",
        json=intake(patient, "grapefruit juice and almond cookies"),
        headers=OUTCOME,
    )
    assert len(_warnings(second)) == 2
    again = _search(client, "DetectedIssue", patient)
    assert len(again) == 2
    assert {i["identifier"][0]["value"] for i in again} == {
        i["identifier"][0]["value"] for i in issues
    }
    second_ref = second.headers["location"].split("/fhir/", 1)[1].rsplit("/_history", 1)[0]
    for issue in again:
        assert {"reference": intake_ref} in issue["implicated"]
        assert {"reference": second_ref} in issue["implicated"]
    assert len(_search(client, "Flag", patient)) == 1


def test_a_transaction_bundle_intake_is_checked_too(client: httpx.Client) -> None:
    patient = _patient_with_statin_and_tree_nut_allergy(client)
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": intake(patient, "pecan pie"),
                "request": {"method": "POST", "url": "NutritionIntake"},
            }
        ],
    }
    response = client.post("/", json=bundle, headers=OUTCOME)
    assert response.status_code == 200, response.text
    entry = response.json()["entry"][0]
    outcome = entry["response"]["outcome"]
    assert any(i["severity"] == "warning" for i in outcome["issue"])
    assert [i["severity"] for i in _search(client, "DetectedIssue", patient)] == ["high"]


def test_updating_an_intake_rechecks_it(client: httpx.Client) -> None:
    patient = _patient_with_statin_and_tree_nut_allergy(client)
    logged = create(client, intake(patient, "steamed rice"))
    assert _search(client, "DetectedIssue", patient) == []
    changed = {**intake(patient, "walnut brownie"), "id": logged["id"]}
    response = client.put(f"/NutritionIntake/{logged['id']}", json=changed, headers=OUTCOME)
    assert response.status_code == 200, response.text
    warnings = [i for i in response.json()["issue"] if i["severity"] == "warning"]
    assert len(warnings) == 1
    (issue,) = _search(client, "DetectedIssue", patient)
    assert issue["severity"] == "high"
    assert {"reference": f"NutritionIntake/{logged['id']}"} in issue["implicated"]


def test_a_new_medication_rechecks_recent_intakes(client: httpx.Client) -> None:
    patient = _synthea_patient(client)
    response = client.post(
        "/NutritionIntake", json=intake(patient, "spinach salad"), headers=OUTCOME
    )
    assert _warnings(response) == []
    added = client.post(
        "/MedicationStatement", json=statement(patient, "warfarin 5 mg"), headers=OUTCOME
    )
    assert len(_warnings(added)) == 1
    (issue,) = _search(client, "DetectedIssue", patient)
    assert issue["severity"] == "moderate"
    assert _search(client, "Flag", patient) == []  # only high severity raises a Flag


def test_acknowledgement_stops_repeat_alerts_until_the_cause_changes(client: httpx.Client) -> None:
    patient = _synthea_patient(client)
    create(client, statement(patient, "phenelzine 15 mg"))
    first = client.post("/NutritionIntake", json=intake(patient, "aged cheddar"), headers=OUTCOME)
    assert len(_warnings(first)) == 1
    (issue,) = _search(client, "DetectedIssue", patient)
    issue = {**issue, "status": "final", "author": {"reference": "Practitioner/pharmacist-1"}}
    issue.pop("meta")
    assert client.put(f"/DetectedIssue/{issue['id']}", json=issue).status_code == 200

    repeat = client.post("/NutritionIntake", json=intake(patient, "aged cheddar"), headers=OUTCOME)
    assert _warnings(repeat) == []
    assert any("Acknowledged" in i["diagnostics"] for i in repeat.json()["issue"])

    create(client, statement(patient, "Nardil 15 mg"))  # a second MAOI record: the cause changes
    changed = client.post("/NutritionIntake", json=intake(patient, "aged cheddar"), headers=OUTCOME)
    assert len(_warnings(changed)) == 1
    (reopened,) = _search(client, "DetectedIssue", patient)
    assert reopened["status"] == "preliminary"
    assert "author" not in reopened


def test_an_unrecognised_food_is_reported_to_the_writer(client: httpx.Client) -> None:
    patient = _synthea_patient(client)
    response = client.post("/NutritionIntake", json=intake(patient, "qwzxv stew"), headers=OUTCOME)
    warnings = _warnings(response)
    assert len(warnings) == 1
    assert "qwzxv" in warnings[0]


def test_without_prefer_the_resource_is_returned_and_issues_are_stored(
    client: httpx.Client,
) -> None:
    patient = _patient_with_statin_and_tree_nut_allergy(client)
    response = client.post("/NutritionIntake", json=intake(patient, "almond milk"))
    assert response.status_code == 201
    assert response.json()["resourceType"] == "NutritionIntake"
    assert len(_search(client, "DetectedIssue", patient)) == 1


@pytest.mark.parametrize("allergy_first", [True, False], ids=["allergy-first", "drug-first"])
def test_a_drug_allergy_is_found_for_a_patient_who_logged_no_meal(
    client: httpx.Client, allergy_first: bool
) -> None:
    patient = f"Patient/{create(client, {'resourceType': 'Patient', 'active': True})['id']}"
    records = [
        ("AllergyIntolerance", allergy(patient, "Penicillin")),
        ("MedicationStatement", statement(patient, "amoxicillin 500 mg")),
    ]
    if not allergy_first:
        records.reverse()
    for resource_type, body in records[:-1]:
        assert client.post(f"/{resource_type}", json=body, headers=OUTCOME).status_code == 201
    last_type, last_body = records[-1]
    assert len(_warnings(client.post(f"/{last_type}", json=last_body, headers=OUTCOME))) == 1
    (issue,) = _search(client, "DetectedIssue", patient)
    assert issue["severity"] == "high"
    assert "amoxicillin" in json.dumps(issue).lower()
    assert len(_search(client, "Flag", patient)) == 1
