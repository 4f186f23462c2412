"""Allergies and medications POSTed together in a transaction are written together and
checked once for their patient: every finding is stored once, names its evidence, and is
told to each of those entries.

https://hl7.org/fhir/R4/http.html#transaction
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.integration.bundle_http import bundle, post_bundle, post_entry, reference_of, statuses
from tests.integration.safety.helpers import allergy, intake, statement

pytestmark = pytest.mark.integration


def _issues(client: httpx.Client, patient: str) -> list[dict[str, Any]]:
    found = client.get("/DetectedIssue", params={"patient": patient})
    assert found.status_code == 200, found.text
    return [e["resource"] for e in found.json().get("entry", [])]


def _warnings(entry: dict[str, Any]) -> list[str]:
    outcome = entry["response"].get("outcome", {"issue": []})
    return [i["diagnostics"] for i in outcome["issue"] if i["severity"] == "warning"]


def test_a_run_of_allergies_and_a_medication_is_checked_once(client: httpx.Client) -> None:
    patient_url = f"urn:uuid:{uuid.uuid4()}"
    entries = [
        post_entry({"resourceType": "Patient", "active": True}, patient_url),
        post_entry(intake(patient_url, "almond cookies", "peanut brittle", "grapefruit juice")),
        post_entry(allergy(patient_url, "Tree nuts", "13577000")),
        post_entry(allergy(patient_url, "Peanut")),
        post_entry(statement(patient_url, "simvastatin")),
    ]
    answer = post_bundle(client, bundle("transaction", entries), Prefer="return=OperationOutcome")
    assert statuses(answer) == ["201 Created"] * len(entries)
    patient = reference_of(answer["entry"][0])
    records = [reference_of(entry) for entry in answer["entry"][2:]]
    issues = _issues(client, patient)
    titles = " ".join(issue["code"]["text"] for issue in issues).lower()
    for word in ("tree nut", "peanut", "simvastatin"):
        assert word in titles, titles
    assert {issue["meta"]["versionId"] for issue in issues} == {"1"}  # one check, not three
    for issue in issues:
        implicated = {ref.get("reference") for ref in issue["implicated"]}
        assert set(records) <= implicated  # each write that made the check
    tree_nuts, peanut, simvastatin = records
    by_title = {issue["code"]["text"].lower(): issue for issue in issues}
    for word, record in (("tree nuts in", tree_nuts), ("peanut in", peanut)):
        (title,) = [t for t in by_title if t.startswith(word)]
        assert {"reference": record} in by_title[title]["implicated"]
    for entry in answer["entry"][2:]:  # every writer hears every finding of its patient
        assert len(_warnings(entry)) == len(issues), _warnings(entry)
    assert simvastatin in {r["reference"] for i in issues for r in i["implicated"]}
