"""A Synthea patient, stored under fresh ids, enriched with generated NutritionIntakes, lab
Observations, conditions, an allergy, a medication and DetectedIssues; and the figures a
report of it must show, computed here independently of the report code."""

from __future__ import annotations

import json
import sqlite3
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.synthea import SYNTHEA_DIR, bundle_resources, read_bundle

Resource = dict[str, Any]
CHET = SYNTHEA_DIR / "Chet_Hoeger_5c6db3d0-c0fc-4eb7-8eae-dbc7847be741.json"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
EXT = "https://nutrivision.example.org/fhir/StructureDefinition/"
SOURCES = ("text", "image", "voice")
SKIPPED = {3, 10, 11}
"""Day offsets (from the period's start) with no logs."""
OATMEAL = "08121"
"""USDA SR24 NDB number of an item logged with its code and grams only."""
FOODS = Path(__file__).resolve().parents[3] / "terminology" / "foods" / "data" / "foods.sqlite"


def oats_per_100g(key: str) -> float:
    """An SR24 food's amount of ``key`` per 100 g, read with plain SQL from the shipped file."""
    with closing(sqlite3.connect(f"file:{FOODS}?mode=ro", uri=True)) as db:
        db.row_factory = sqlite3.Row
        row = db.execute(
            "SELECT * FROM food WHERE source = 'sr24' AND source_id = ?", (OATMEAL,)
        ).fetchone()
    return float(row[key] or 0.0)


@dataclass
class World:
    """What was stored and what the report must say."""

    patient_id: str
    start: date
    end: date
    daily: dict[str, dict[str, float]] = field(default_factory=dict)
    hba1c: list[tuple[str, float, str]] = field(default_factory=list)
    alerts_in_period: int = 0
    acknowledged: int = 0
    verified: int = 0
    logs: int = 0


def _fresh(resources: list[Resource], name: list[Resource]) -> list[Resource]:
    """The resources under new ids, every reference rewritten; the patient renamed."""
    ids = {
        f"{r['resourceType']}/{r['id']}": f"{r['resourceType']}/{uuid.uuid4()}" for r in resources
    }
    text = json.dumps(resources)
    for old, new in ids.items():
        text = text.replace(f'"{old}"', f'"{new}"')
    out: list[Resource] = json.loads(text)
    for resource in out:
        resource["id"] = ids[f"{resource['resourceType']}/{resource['id']}"].split("/")[1]
        if resource["resourceType"] == "Patient":
            resource["name"] = name
    return out


def _label(key: str, value: float, unit: str) -> Resource:
    concept = {
        "coding": [
            {"system": "https://nutrivision.example.org/fhir/CodeSystem/nutrient", "code": key}
        ],
        "text": key,
    }
    return {
        "nutrient": {"concept": concept},
        "amount": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }


def _intake(patient: str, when: datetime, n: int, world: World) -> Resource:
    source = SOURCES[n % 3]
    verified = n % 2 == 0
    base: Resource = {
        "resourceType": "NutritionIntake",
        "status": "completed",
        "subject": {"reference": patient},
        "occurrenceDateTime": when.isoformat(),
        "extension": [
            {"url": EXT + "log-source", "valueCode": source},
            {"url": EXT + "user-verified", "valueBoolean": verified},
        ],
    }
    day = world.daily.setdefault(when.date().isoformat(), {})
    if n % 4 == 3:  # only a food code and grams: the report computes from the food database
        grams = 40.0 + n
        base["consumedItem"] = [
            {
                "type": {"text": "food"},
                "amount": {"value": grams, "unit": "g", "system": UCUM, "code": "g"},
                "nutritionProduct": {
                    "concept": {
                        "coding": [
                            {
                                "system": "https://nutrivision.example.org/fhir/sid/usda-sr24-ndb",
                                "code": OATMEAL,
                            }
                        ],
                        "text": "oats",
                    }
                },
            }
        ]
        for key in ("energy", "protein", "sodium", "potassium", "fiber"):
            day[key] = day.get(key, 0.0) + oats_per_100g(key) * grams / 100
    else:
        amounts = {
            "energy": (600.0 + 7 * n, "kcal"),
            "protein": (25.0 + n % 5, "g"),
            "sodium": (900.0 + 13 * n, "mg"),
            "potassium": (1100.0 + 5 * n, "mg"),
            "fiber": (6.0 + n % 3, "g"),
        }
        base["consumedItem"] = [
            {"type": {"text": "food"}, "nutritionProduct": {"concept": {"text": f"meal {n}"}}}
        ]
        base["ingredientLabel"] = [_label(k, v, u) for k, (v, u) in amounts.items()]
        for key, (value, _) in amounts.items():
            day[key] = day.get(key, 0.0) + value
    world.logs += 1
    world.verified += verified
    return base


def _lab(patient: str, code: str, value: float, unit: str, when: date, high: float) -> Resource:
    flag = "H" if value > high else "N"
    return {
        "resourceType": "Observation",
        "status": "final",
        "subject": {"reference": patient},
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": f"{when.isoformat()}T08:00:00+00:00",
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
        "referenceRange": [{"high": {"value": high, "unit": unit, "system": UCUM, "code": unit}}],
        "interpretation": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                        "code": flag,
                    }
                ],
                "text": flag,
            }
        ],
    }


def _clinical(patient: str) -> list[Resource]:
    active = {
        "coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
        ]
    }
    conditions = [
        {
            "resourceType": "Condition",
            "subject": {"reference": patient},
            "clinicalStatus": active,
            "code": {"coding": [{"system": ICD, "code": code}]},
        }
        for code in ("I10", "E11.9")
    ]
    allergy = {
        "resourceType": "AllergyIntolerance",
        "patient": {"reference": patient},
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                    "code": "active",
                }
            ]
        },
        "criticality": "high",
        "code": {"text": "Peanut"},
        "reaction": [{"severity": "severe", "manifestation": [{"text": "Anaphylaxis"}]}],
    }
    medication = {
        "resourceType": "MedicationStatement",
        "status": "active",
        "subject": {"reference": patient},
        "medicationCodeableConcept": {"text": "Warfarin 5 mg"},
        "dosage": [{"text": "5 mg once daily"}],
    }
    return [*conditions, allergy, medication]


def _issue(patient: str, when: date, acknowledged: bool) -> Resource:
    issue: Resource = {
        "resourceType": "DetectedIssue",
        "status": "final" if acknowledged else "preliminary",
        "patient": {"reference": patient},
        "severity": "high",
        "code": {"text": "Vitamin K intake with warfarin"},
        "identifiedDateTime": f"{when.isoformat()}T09:00:00+00:00",
    }
    if acknowledged:
        issue["author"] = {"display": "Dr. Reviewer"}
    return issue


def build_world(days: int = 30) -> tuple[World, list[Resource]]:
    """The resources to store and the expected figures (the period ends today, UTC)."""
    end = datetime.now(UTC).date()
    start = end - timedelta(days - 1)
    name = [{"given": ["José", "Zoë"], "family": "Müller-Ångström"}]
    synthea = _fresh(bundle_resources(read_bundle(CHET)), name)
    patient = next(r for r in synthea if r["resourceType"] == "Patient")
    ref = f"Patient/{patient['id']}"
    world = World(patient["id"], start, end)
    extra = _clinical(ref)
    n = 0
    for offset in range(days):
        if offset in SKIPPED:
            continue
        for hour in (8, 13, 19):
            moment = datetime(start.year, start.month, start.day, hour, tzinfo=UTC)
            extra.append(_intake(ref, moment + timedelta(offset), n, world))
            n += 1
    for offset, value in ((1, 7.9), (days // 2, 7.4), (days - 2, 6.8)):
        when = start + timedelta(offset)
        extra.append(_lab(ref, "4548-4", value, "%", when, 5.7))
        world.hba1c.append((when.isoformat(), value, "%"))
    extra.append(_lab(ref, "2823-3", 5.6, "mmol/L", start + timedelta(5), 5.1))
    for offset, acknowledged in ((2, True), (20 % days, False)):
        extra.append(_issue(ref, start + timedelta(offset), acknowledged))
        world.alerts_in_period += 1
        world.acknowledged += acknowledged
    extra.append(_issue(ref, start - timedelta(3), False))  # before the period: not counted
    return world, [*synthea, *extra]


def store(client: httpx.Client, resources: list[Resource]) -> None:
    """Store everything in one transaction (ids kept where given)."""
    entries = []
    for resource in resources:
        if "id" in resource:
            request = {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"}
        else:
            request = {"method": "POST", "url": resource["resourceType"]}
        entries.append(
            {
                "resource": resource,
                "request": request,
                **({"fullUrl": f"urn:uuid:{uuid.uuid4()}"} if "id" not in resource else {}),
            }
        )
    for first in range(0, len(entries), 100):  # the server takes 100 entries per Bundle
        bundle = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": entries[first : first + 100],
        }
        response = client.post("/", json=bundle, headers={"Content-Type": "application/fhir+json"})
        assert response.status_code == 200, response.text[:2000]
