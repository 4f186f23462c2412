"""The safety re-check on writes under scoped tokens: it reads the patient's record whole
(the system checks everything it knows), and what comes back to the writer is only the
findings about the writer's own patient (docs/scopes.md, "Write hooks").
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from resources import error_codes
from resources.ports import Mutation
from resources.search.parse import parse_search
from resources.search.registry import default_registry
from tests.integration.safety.helpers import allergy, intake, statement
from tests.integration.scope_server import ScopedServer, scoped_url
from tests.integration.scope_world import World, world

pytestmark = pytest.mark.integration
__all__ = ["scoped_url", "world"]

OUTCOME = {"Prefer": "return=OperationOutcome"}


def _patient(id_: str) -> Mutation:
    return lambda _current: {"resourceType": "Patient", "id": id_, "active": True}


def _seed(world: World) -> dict[str, str]:
    """Two patients: mine takes a statin, the other has a tree-nut allergy."""
    run = uuid.uuid4().hex[:10]
    ids = {"me": f"hk{run}-me", "other": f"hk{run}-other"}
    for id_ in ids.values():
        world.run(world.raw.update("Patient", id_, _patient(id_), None, "PUT"))
    made: dict[str, Any] = {
        "statin": statement(f"Patient/{ids['me']}", "atorvastatin 20 MG Oral Tablet", "617310"),
        "nuts": allergy(f"Patient/{ids['other']}", "Tree nuts", "13577000"),
    }
    for role, body in made.items():
        ids[role] = world.run(world.raw.create(body["resourceType"], body, None)).stored.id
    return ids


def _client(server: ScopedServer, patient: str, scopes: str) -> httpx.Client:
    token = server.mint(f"launch/patient {scopes}", client_id="hook-app", patient=patient)
    headers = {
        "Accept": "application/fhir+json",
        "Content-Type": "application/fhir+json",
        "Authorization": f"Bearer {token}",
    }
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


def test_a_patient_writer_hears_its_own_findings_and_nothing_of_others(
    scoped_url: ScopedServer, world: World
) -> None:
    ids = _seed(world)
    # the writer may create intakes only: it cannot read the statin, yet hears of it
    with _client(scoped_url, ids["me"], "patient/NutritionIntake.c") as client:
        meal = intake(f"Patient/{ids['me']}", "grapefruit juice and almond cookies")
        response = client.post("NutritionIntake", json=meal, headers=OUTCOME)
    assert response.status_code == 201, response.text
    warnings = [i for i in response.json()["issue"] if i["severity"] == "warning"]
    assert len(warnings) == 1, warnings  # grapefruit and the statin; no tree-nut finding
    assert "grapefruit" in warnings[0]["diagnostics"].lower()
    for hidden in (ids["other"], ids["nuts"]):
        assert hidden not in response.text
    assert not any("tree nut" in w["diagnostics"].lower() for w in warnings)


def test_a_write_about_another_patient_is_refused_before_any_finding(
    scoped_url: ScopedServer, world: World
) -> None:
    ids = _seed(world)
    with _client(scoped_url, ids["me"], "patient/*.cruds") as client:
        meal = intake(f"Patient/{ids['other']}", "walnut brownie")
        response = client.post("NutritionIntake", json=meal, headers=OUTCOME)
        assert response.status_code == 403, response.text
        assert error_codes.SCOPE_WRITE_OUTSIDE_ACCESS in response.text
        assert "tree nut" not in response.text.lower()
        assert "allerg" not in response.text.lower()
        assert ids["nuts"] not in response.text
    for resource_type in ("NutritionIntake", "DetectedIssue"):  # rolled back, hook and all
        query = parse_search((resource_type,), [("patient", ids["other"])], default_registry())
        assert world.run(world.raw.search(query, None)).matches == []
