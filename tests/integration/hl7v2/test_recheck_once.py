"""A message's allergies and medications are checked once, after all of them are written:
the findings are those of checking after each write (the same resources written one per
request give the oracle), each names its evidence, and each is written once."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.integration.hl7v2.client import AUTHORITY, message, process_http
from tests.integration.safety.helpers import intake

pytestmark = pytest.mark.integration
ALLERGIES = (
    "AL1|1|FA|13577000^Tree nuts^SCT|SV|Hives",
    "AL1|2|FA|^Peanut|SV|Anaphylaxis",
    "AL1|3|FA|278840001^Shrimp^SCT|MO|Hives",
)
FOODS = ("almond cookies", "peanut brittle", "shrimp scampi", "a glass of grapefruit juice")
RECORD = ("AllergyIntolerance", "MedicationRequest", "MedicationStatement")


def _rde(mrn: str) -> str:
    """An RDE^O11 with three allergies and a statin: five watched resources in one message."""
    segments = [
        f"PID|1||{mrn}^^^HOSP^MR||DOE^JANE^Q||19800102|F",
        *ALLERGIES,
        f"ORC|NW|P{mrn}|F{mrn}",
        "RXE|1|^Simvastatin 20 MG Oral Tablet|20||mg",
    ]
    return message(f"R{uuid.uuid4().hex[:12]}", "\n".join(segments), "RDE^O11")


def _entries(client: httpx.Client, path: str, **params: str) -> list[dict[str, Any]]:
    found = client.get(path, params={**params, "_count": "100"}).json()
    return [e["resource"] for e in found.get("entry", [])]


def _patient_with_intake(client: httpx.Client, mrn: str | None = None) -> str:
    if mrn is None:
        created = client.post("/Patient", json={"resourceType": "Patient", "active": True})
        patient = f"Patient/{created.json()['id']}"
    else:
        (found,) = _entries(client, "/Patient", identifier=f"{AUTHORITY}|{mrn}")
        patient = f"Patient/{found['id']}"
    logged = client.post("/NutritionIntake", json=intake(patient, *FOODS))
    assert logged.status_code == 201, logged.text
    return patient


def _record(client: httpx.Client, patient: str) -> list[dict[str, Any]]:
    """The patient's allergies, then medications, in the order the message writes them."""
    return [r for kind in RECORD for r in _entries(client, f"/{kind}", patient=patient)]


def _labels(client: httpx.Client, patient: str) -> dict[str, str]:
    """``Type/id`` -> what the resource is, the same for both patients."""
    labels = {}
    for resource in _record(client, patient):
        concept = resource.get("code") or resource["medicationCodeableConcept"]
        name = concept.get("text") or concept["coding"][0]["display"]
        labels[f"{resource['resourceType']}/{resource['id']}"] = (
            f"{resource['resourceType']} {name}"
        )
    for logged in _entries(client, "/NutritionIntake", patient=patient):
        labels[f"NutritionIntake/{logged['id']}"] = "the intake"
    return labels


def _findings(client: httpx.Client, patient: str) -> dict[str, dict[str, Any]]:
    """Each DetectedIssue by title: its content, what it implicates (labelled), its version."""
    labels = _labels(client, patient)
    findings = {}
    for issue in _entries(client, "/DetectedIssue", patient=patient):
        implicated = {
            labels.get(r.get("reference", ""), r.get("display")) for r in issue["implicated"]
        }
        findings[issue["code"]["text"]] = {
            "content": (issue["severity"], issue["detail"], issue["evidence"], issue["status"]),
            "implicated": implicated,
            "version": issue["meta"]["versionId"],
        }
    return findings


def _one_by_one(client: httpx.Client, source: str, patient: str) -> None:
    """What the message wrote for ``source``, written again for ``patient``, one per request."""
    renamed: dict[str, str] = {}
    for resource in _record(client, source):
        old = f"{resource['resourceType']}/{resource.pop('id')}"
        resource.pop("meta")
        for key in ("patient", "subject"):
            if key in resource:
                resource[key] = {"reference": patient}
        if "derivedFrom" in resource:
            resource["derivedFrom"] = [
                {"reference": renamed[r["reference"]]} for r in resource["derivedFrom"]
            ]
        created = client.post(f"/{resource['resourceType']}", json=resource)
        assert created.status_code == 201, created.text
        renamed[old] = f"{resource['resourceType']}/{created.json()['id']}"


def _flags(client: httpx.Client, patient: str) -> list[str]:
    return sorted(f["code"]["text"] for f in _entries(client, "/Flag", patient=patient))


def test_one_message_checks_once_and_finds_what_one_check_per_write_finds(
    base_url: str, client: httpx.Client
) -> None:
    mrn = f"C{uuid.uuid4().hex[:8]}"
    process_http(
        message(f"A{uuid.uuid4().hex[:12]}", f"PID|1||{mrn}^^^HOSP^MR||DOE^JANE^Q||19800102|F"),
        base_url,
    )
    patient = _patient_with_intake(client, mrn)
    process_http(_rde(mrn), base_url)
    assert len(_record(client, patient)) == 5
    found = _findings(client, patient)

    oracle_patient = _patient_with_intake(client)
    _one_by_one(client, patient, oracle_patient)
    oracle = _findings(client, oracle_patient)

    assert set(found) == set(oracle)
    titles = " ".join(found).lower()
    for word in ("tree nut", "peanut", "crustacean", "simvastatin"):
        assert word in titles, (word, sorted(found))
    # one check: each finding written once; a check per write rewrites the earlier ones
    assert {f["version"] for f in found.values()} == {"1"}
    assert {f["version"] for f in oracle.values()} != {"1"}
    for title, finding in found.items():
        assert finding["content"] == oracle[title]["content"], title
        assert finding["implicated"] >= oracle[title]["implicated"], title
        assert "the intake" in finding["implicated"], title
    assert _flags(client, patient) == _flags(client, oracle_patient)
    assert _flags(client, patient)  # the anaphylaxis and the statin are high
