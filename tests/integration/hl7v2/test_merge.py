"""An A40 merge moves the retired patient's whole record to the survivor in one batch of
writes: every record moves, the survivor is re-checked once after all of them, and a merge
that fails moves nothing."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.integration.hl7v2.client import (
    AUTHORITY,
    HL7_HEADERS,
    message,
    process_http,
    replaced_patient,
)
from tests.integration.safety.helpers import intake

pytestmark = pytest.mark.integration
ALLERGIES = (
    "AL1|1|FA|^Peanut|SV|Anaphylaxis",
    "AL1|2|FA|278840001^Shrimp^SCT|MO|Hives",
    "AL1|3|FA|13577000^Tree nuts^SCT|SV|Hives",
)
DRUGS = ("Simvastatin 20 MG Oral Tablet", "Warfarin 5 MG Oral Tablet")
FOODS = ("peanut brittle", "shrimp scampi", "a glass of grapefruit juice")
RECORD = (
    "AllergyIntolerance", "MedicationRequest", "MedicationStatement", "Encounter",
    "RelatedPerson", "Coverage",
)  # fmt: skip


def _pid(*mrns: str) -> str:
    ids = "~".join(f"{mrn}^^^HOSP^MR" for mrn in mrns)
    return f"PID|1||{ids}||DOE^JANE^Q||19800102|F"


def _control() -> str:
    return f"G{uuid.uuid4().hex[:12]}"


def _with_record(base_url: str, mrn: str) -> None:
    """A patient with a visit, a next of kin, insurance, three allergies, two medications."""
    adt = [
        _pid(mrn),
        "NK1|1|DOE^JOHN|SPO^Spouse||555-0100||C^Emergency Contact",
        f"PV1|1|I|W^1^A||||||||||||||||V{mrn}",
        *ALLERGIES,
        f"IN1|1|PLAN1|INS1|Acme Health||||||||||||||||||||||||||||||||||M{mrn}",
    ]
    process_http(message(_control(), "\n".join(adt)), base_url)
    for n, drug in enumerate(DRUGS):
        rde = f"{_pid(mrn)}\nORC|NW|P{mrn}{n}|F{mrn}{n}\nRXE|1|^{drug}|20||mg"
        process_http(message(_control(), rde, "RDE^O11"), base_url)


def _patient(client: httpx.Client, mrn: str) -> str:
    (found,) = _entries(client, "/Patient", identifier=f"{AUTHORITY}|{mrn}")
    return f"Patient/{found['id']}"


def _entries(client: httpx.Client, path: str, **params: str) -> list[dict[str, Any]]:
    found = client.get(path, params={**params, "_count": "100"}).json()
    return [e["resource"] for e in found.get("entry", [])]


def _record(client: httpx.Client, patient: str) -> dict[str, int]:
    return {
        kind: len(_entries(client, f"/{kind}", patient=patient))
        for kind in RECORD
        if _entries(client, f"/{kind}", patient=patient)
    }


def _merge(survivor: str, *prior: str) -> str:
    mrg = "~".join(f"{mrn}^^^HOSP^MR" for mrn in prior)
    return message(_control(), f"EVN|A40|20260101\n{_pid(survivor)}\nMRG|{mrg}", "ADT^A40")


def _survivor_with_intake(base_url: str, client: httpx.Client, mrn: str) -> str:
    process_http(message(_control(), _pid(mrn)), base_url)
    patient = _patient(client, mrn)
    logged = client.post("/NutritionIntake", json=intake(patient, *FOODS))
    assert logged.status_code == 201, logged.text
    return patient


def test_a40_moves_every_record_and_rechecks_the_survivor_once(
    base_url: str, client: httpx.Client
) -> None:
    old, new = f"MO{uuid.uuid4().hex[:8]}", f"MN{uuid.uuid4().hex[:8]}"
    _with_record(base_url, old)
    retired = _patient(client, old)
    before = _record(client, retired)
    assert before == {
        "AllergyIntolerance": 3, "MedicationRequest": 2, "MedicationStatement": 2,
        "Encounter": 1, "RelatedPerson": 1, "Coverage": 1,
    }  # fmt: skip
    survivor = _survivor_with_intake(base_url, client, new)
    assert _entries(client, "/DetectedIssue", patient=survivor) == []

    process_http(_merge(new, old), base_url)

    assert [f"Patient/{p['id']}" for p in _entries(client, "/Patient", identifier=old)] == [
        survivor
    ]
    assert _record(client, retired) == {}
    assert _record(client, survivor) == before
    findings = _entries(client, "/DetectedIssue", patient=survivor)
    titles = " ".join(f["code"]["text"] for f in findings).lower()
    for word in ("peanut", "crustacean"):
        assert word in titles, (word, titles)
    # one re-check after all records moved: each finding and flag written once (a check
    # per moved record writes the findings again at each later one)
    assert {f["meta"]["versionId"] for f in findings} == {"1"}
    flags = _entries(client, "/Flag", patient=survivor)
    assert flags
    assert {f["meta"]["versionId"] for f in flags} == {"1"}
    moved = {
        f"AllergyIntolerance/{a['id']}"
        for a in _entries(client, "/AllergyIntolerance", patient=survivor)
    }
    for finding in findings:  # an allergen finding names the moved allergy as evidence
        if any(w in finding["code"]["text"].lower() for w in ("peanut", "crustacean")):
            assert {r.get("reference") for r in finding["implicated"]} & moved, finding


def test_a_failing_merge_moves_nothing(base_url: str, client: httpx.Client) -> None:
    token = uuid.uuid4().hex[:8]
    kept, merged_into = f"MK{token}", f"MX{token}"
    # a patient that another system marked replaced by another, still holding an identifier
    process_http(message(_control(), _pid(merged_into)), base_url)
    replaced_patient(client, kept, _patient(client, merged_into))
    old, new = f"MC{token}", f"MY{token}"
    _with_record(base_url, old)
    retired = _patient(client, old)
    before = _record(client, retired)
    survivor = _survivor_with_intake(base_url, client, new)

    # the second prior patient was replaced by another survivor: the whole merge is AE
    answer = httpx.post(f"{base_url}/$process-hl7v2", content=_merge(new, old, kept),
                        headers=HL7_HEADERS)  # fmt: skip
    assert answer.status_code == 422, answer.text
    values = {p["name"]: p for p in answer.json()["parameter"]}
    assert values["code"]["valueCode"] == "AE"
    assert "ERR|" in values["ack"]["valueString"]
    assert "MRG^1^1" in values["ack"]["valueString"]

    assert _record(client, retired) == before
    assert _record(client, survivor) == {}
    assert _patient(client, old) == retired
    patient = client.get(f"/{retired}").json()
    assert patient["active"] is True
    assert "link" not in patient
    held = {i["value"] for i in client.get(f"/{survivor}").json()["identifier"]}
    assert held == {new}  # the survivor did not keep the prior identifiers either
    assert _entries(client, "/DetectedIssue", patient=survivor) == []


def test_a40_moves_the_logged_meals_and_checks_them_against_the_survivor(
    base_url: str, client: httpx.Client
) -> None:
    old, new = f"MM{uuid.uuid4().hex[:8]}", f"MS{uuid.uuid4().hex[:8]}"
    process_http(message(_control(), _pid(old)), base_url)
    retired = _patient(client, old)
    meal = client.post("/NutritionIntake", json=intake(retired, "peanut brittle"))
    assert meal.status_code == 201, meal.text
    # the survivor is allergic to peanuts; its record holds no meal yet
    process_http(message(_control(), f"{_pid(new)}\n{ALLERGIES[0]}"), base_url)
    survivor = _patient(client, new)
    assert _entries(client, "/DetectedIssue", patient=survivor) == []

    process_http(_merge(new, old), base_url)

    moved = _entries(client, "/NutritionIntake", patient=survivor)
    assert [m["id"] for m in moved] == [meal.json()["id"]]
    assert _entries(client, "/NutritionIntake", patient=retired) == []
    findings = _entries(client, "/DetectedIssue", patient=survivor)
    peanut = [f for f in findings if "peanut" in f["code"]["text"].lower()]
    assert peanut, findings
    evidence = {r.get("reference") for f in peanut for r in f.get("implicated", [])}
    assert f"NutritionIntake/{meal.json()['id']}" in evidence, peanut


def test_a_chain_of_merges_leaves_every_old_identifier_with_the_last_survivor(
    base_url: str, client: httpx.Client
) -> None:
    token = uuid.uuid4().hex[:8]
    first, second, last = f"MA{token}", f"MB{token}", f"MZ{token}"
    for mrn in (first, second, last):
        process_http(message(_control(), _pid(mrn)), base_url)
    middle, survivor = _patient(client, second), _patient(client, last)

    process_http(_merge(second, first), base_url)  # first into second
    process_http(_merge(last, second), base_url)  # then second into last, naming only it

    for mrn in (first, second, last):
        found = _entries(client, "/Patient", identifier=f"{AUTHORITY}|{mrn}")
        assert [f"Patient/{p['id']}" for p in found] == [survivor], mrn
    held = {(i["value"], i.get("use")) for i in client.get(f"/{survivor}").json()["identifier"]}
    assert {(first, "old"), (second, "old")} <= held
    replaced = client.get(f"/{middle}").json()
    assert "identifier" not in replaced
    assert replaced["link"] == [{"other": {"reference": survivor}, "type": "replaced-by"}]
