"""A message that repeats what is stored writes no new version of the Patient or of an
allergy, costs fewer statements, and leaves the safety findings as they were; a changed or
new allergy beside unchanged ones is still written and checked."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.integration.hl7v2.client import AUTHORITY, message, process_http, send
from tests.integration.hl7v2.conftest import Harness
from tests.integration.safety.helpers import intake

pytestmark = pytest.mark.integration
TREE_NUTS = "AL1|1|FA|13577000^Tree nuts^SCT|SV|Hives"
PEANUT = "AL1|2|FA|^Peanut|SV|Anaphylaxis"


def _adt(mrn: str, *extra: str, phone: str = "555-1234") -> str:
    segments = [
        f"PID|1||{mrn}^^^HOSP^MR||DOE^JANE^Q||19800102|F|||1 MAIN ST^^TOWN^ST^12345||{phone}",
        f"PV1|1|I|WARD^1^A||||||||||||||||V{uuid.uuid4().hex[:8]}",
        *extra,
    ]
    return message(f"U{uuid.uuid4().hex[:12]}", "\n".join(segments))


def _patient(client: httpx.Client, mrn: str) -> str:
    found = client.get("/Patient", params={"identifier": f"{AUTHORITY}|{mrn}"}).json()
    (entry,) = found["entry"]
    return str(entry["resource"]["id"])


def _versions(client: httpx.Client, reference: str) -> int:
    return int(client.get(f"/{reference}/_history").json()["total"])


def _allergies(client: httpx.Client, patient: str) -> dict[str, str]:
    """Allergen text -> the allergy's ``Type/id``."""
    found = client.get("/AllergyIntolerance", params={"patient": f"Patient/{patient}"}).json()
    named = {}
    for entry in found.get("entry", []):
        code = entry["resource"]["code"]
        text = code.get("text") or code["coding"][0]["display"]
        named[text] = f"AllergyIntolerance/{entry['resource']['id']}"
    return named


def test_a_repeated_patient_writes_no_new_version(mllp: Harness, client: httpx.Client) -> None:
    """On the bare store (no hooks: the allergy is a batched PUT there, written each time)."""
    mrn = f"S{uuid.uuid4().hex[:8]}"
    send(mllp.port, _adt(mrn))
    patient = f"Patient/{_patient(client, mrn)}"
    unchanged = mllp.statements_for(_adt(mrn))  # another visit, the same demographics
    assert _versions(client, patient) == 1
    changed = mllp.statements_for(_adt(mrn, phone="555-9"))
    assert _versions(client, patient) == 2
    # the Patient's write: a lock, a read, a version, its index rows and the row's pointer
    assert changed - unchanged == 5
    phones = client.get(f"/{patient}").json()["telecom"]
    assert [t["value"] for t in phones] == ["555-9"]


def _issues(client: httpx.Client, patient: str) -> set[tuple[str, str]]:
    found = client.get("/DetectedIssue", params={"patient": f"Patient/{patient}"}).json()
    return {
        (e["resource"]["id"], e["resource"]["meta"]["versionId"]) for e in found.get("entry", [])
    }


def test_the_safety_findings_stay_and_a_new_allergy_is_checked(
    base_url: str, client: httpx.Client
) -> None:
    """Through ``$process-hl7v2``, on the store with the safety re-check."""
    mrn = f"K{uuid.uuid4().hex[:8]}"
    process_http(_adt(mrn), base_url)
    patient = _patient(client, mrn)
    logged = client.post(
        "/NutritionIntake", json=intake(f"Patient/{patient}", "peanut brittle", "almond cookies")
    )
    assert logged.status_code == 201, logged.text
    assert _issues(client, patient) == set()  # no allergy recorded yet
    process_http(_adt(mrn, TREE_NUTS), base_url)
    before = _issues(client, patient)
    assert before  # the tree nut allergy against the almond cookies
    (tree_nuts,) = _allergies(client, patient).values()
    process_http(_adt(mrn, TREE_NUTS), base_url)  # the same allergy again: nothing new to check
    assert _versions(client, tree_nuts) == 1
    assert _issues(client, patient) == before
    process_http(_adt(mrn, TREE_NUTS, PEANUT), base_url)  # one unchanged, one new
    allergies = _allergies(client, patient)
    assert set(allergies) == {"Tree nuts", "Peanut"}
    assert _versions(client, f"Patient/{patient}") == 1
    assert _versions(client, allergies["Tree nuts"]) == 1
    after = _issues(client, patient)
    assert len(after - before) >= 1  # the peanut allergy against the peanut brittle
    found = client.get("/DetectedIssue", params={"patient": f"Patient/{patient}"}).json()
    implicated = {
        ref["reference"] for e in found["entry"] for ref in e["resource"].get("implicated", [])
    }
    assert allergies["Peanut"] in implicated
