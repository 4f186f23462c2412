"""What the HL7 v2 adapter writes is valid FHIR, as the REST API would take it: a later
message's value of a choice element replaces the stored one of another type, and a plan
holding a resource that is not valid FHIR writes nothing of its message."""

from __future__ import annotations

import uuid

import httpx
import pytest

from operations.hl7v2.apply import apply_plan
from operations.hl7v2.er7 import parse
from operations.hl7v2.plan import Plan
from operations.hl7v2.problems import Hl7Problem
from resources.model import validation_issues
from tests.integration.hl7v2.client import AUTHORITY, fields, message, send
from tests.integration.hl7v2.conftest import Harness

pytestmark = pytest.mark.integration


def _adt(mrn: str, died: str = "", indicator: str = "") -> str:
    """An A08 whose PID-29 (date of death) and PID-30 (death indicator) are given."""
    pid = ["PID", "1", "", f"{mrn}^^^HOSP^MR", "", "DOE^JANE", "", "19400102", "F"]
    pid += [""] * (29 - len(pid)) + [died, indicator]
    return message(f"D{uuid.uuid4().hex[:12]}", "|".join(pid), "ADT^A08")


def _patient(client: httpx.Client, mrn: str) -> dict[str, object]:
    found = client.get("/Patient", params={"identifier": f"{AUTHORITY}|{mrn}"}).json()
    (entry,) = found["entry"]
    resource: dict[str, object] = entry["resource"]
    return resource


def test_a_date_of_death_after_a_death_flag_replaces_it(
    mllp: Harness, client: httpx.Client
) -> None:
    mrn = f"X{uuid.uuid4().hex[:8]}"
    assert fields(send(mllp.port, _adt(mrn, indicator="Y")), "MSA")[1] == "AA"
    assert _patient(client, mrn)["deceasedBoolean"] is True
    assert fields(send(mllp.port, _adt(mrn, died="20260301")), "MSA")[1] == "AA"
    patient = _patient(client, mrn)
    assert patient["deceasedDateTime"] == "2026-03-01"
    assert "deceasedBoolean" not in patient
    assert validation_issues(patient) == []
    assert fields(send(mllp.port, _adt(mrn, indicator="N")), "MSA")[1] == "AA"
    patient = _patient(client, mrn)
    assert patient["deceasedBoolean"] is False
    assert "deceasedDateTime" not in patient


def test_a_plan_with_a_resource_that_is_not_valid_fhir_writes_nothing(
    mllp: Harness, client: httpx.Client
) -> None:
    mrn = f"Y{uuid.uuid4().hex[:8]}"
    plan = Plan(parse(_adt(mrn)), "TESTAPP")
    plan.patient(
        {"resourceType": "Patient", "identifier": [{"system": AUTHORITY, "value": mrn}]},
        [(AUTHORITY, mrn)],
    )
    plan.put("Observation", {"resourceType": "Observation", "status": "final"}, mrn)  # no code
    observation = plan.writes[-1].id

    async def apply() -> None:
        async with mllp.flow.store.transaction() as tx:
            await apply_plan(tx, plan)

    with pytest.raises(Hl7Problem) as refused:
        mllp.run(apply())
    assert refused.value.ack == "AE"
    assert "Observation" in refused.value.message
    assert "code" in refused.value.message
    assert client.get(f"/Observation/{observation}").status_code == 404
    found = client.get("/Patient", params={"identifier": f"{AUTHORITY}|{mrn}"}).json()
    assert found.get("entry", []) == []  # the Patient written before it is rolled back
