"""A resent ORU (a new control id, the same results) writes no new version of its report or
results, and costs fewer statements than one whose results changed; with one value changed,
only that Observation gets a version."""

from __future__ import annotations

import uuid

import httpx
import pytest

from fhir_server.embedded import ServiceUrls
from tests.integration.hl7v2.client import AUTHORITY, message
from tests.integration.hl7v2.conftest import Harness
from tests.servers import sql_connection

pytestmark = pytest.mark.integration
RESULTS = (
    ("4548-4^Hemoglobin A1c^LN", "%^%^UCUM", "4.0-5.6"),
    ("2345-7^Glucose^LN", "mg/dL^mg/dL^UCUM", "70-99"),
    ("2823-3^Potassium^LN", "mmol/L^mmol/L^UCUM", "3.5-5.1"),
)


def _oru(mrn: str, values: tuple[str, ...]) -> str:
    order = f"OBR|1|P{mrn}|F{mrn}|24331-1^Panel^LN|||20260101090000+0000||||||||||||||||||F"
    observations = [
        f"OBX|{n}|NM|{code}||{value}|{unit}|{range_}|N|||F"
        for n, ((code, unit, range_), value) in enumerate(zip(RESULTS, values, strict=True), 1)
    ]
    body = "\n".join([f"PID|1||{mrn}^^^HOSP^MR||DOE^JANE||19800102|F", order, *observations])
    return message(f"R{uuid.uuid4().hex[:12]}", body, "ORU^R01")


def _written(client: httpx.Client, mrn: str) -> list[tuple[str, str]]:
    """(type, id) of the patient's report and results."""
    (patient,) = client.get("/Patient", params={"identifier": f"{AUTHORITY}|{mrn}"}).json()["entry"]
    subject = f"Patient/{patient['resource']['id']}"
    found = []
    for kind in ("DiagnosticReport", "Observation"):
        bundle = client.get(f"/{kind}", params={"subject": subject}).json()
        found += [(kind, e["resource"]["id"]) for e in bundle.get("entry", [])]
    return found


def _versions(services: ServiceUrls, written: list[tuple[str, str]]) -> dict[str, int]:
    """Rows in resource_version per ``Type/id``."""
    with sql_connection(services.database_url) as conn:
        rows = conn.execute(
            "SELECT resource_type, id, count(*) FROM resource_version"
            " WHERE (resource_type, id) IN (SELECT * FROM unnest(%s::text[], %s::text[]))"
            " GROUP BY resource_type, id",
            ([t for t, _ in written], [i for _, i in written]),
        ).fetchall()
    return {f"{t}/{i}": n for t, i, n in rows}


def _glucose(client: httpx.Client, written: list[tuple[str, str]]) -> str:
    for kind, id_ in written:
        body = client.get(f"/{kind}/{id_}").json()
        if kind == "Observation" and body["code"]["coding"][0]["code"] == "2345-7":
            return f"{kind}/{id_}"
    raise AssertionError("no glucose result")


def test_a_resent_oru_writes_nothing_of_its_results_and_a_change_only_itself(
    mllp: Harness, client: httpx.Client, services: ServiceUrls
) -> None:
    mrn = f"O{uuid.uuid4().hex[:8]}"
    values = ("7.9", "182", "4.2")
    mllp.statements_for(_oru(mrn, values))
    written = _written(client, mrn)
    assert len(written) == 4  # the report and three results
    resent = mllp.statements_for(_oru(mrn, values))
    assert set(_versions(services, written).values()) == {1}
    changed = mllp.statements_for(_oru(mrn, ("7.9", "190", "4.2")))
    glucose = _glucose(client, written)
    versions = _versions(services, written)
    assert versions.pop(glucose) == 2
    assert set(versions.values()) == {1}  # the report and the other results as they were
    assert resent < changed
    all_changed = mllp.statements_for(_oru(mrn, ("8.1", "200", "4.5")))
    assert changed <= all_changed  # written together: one result or four cost the same
    versions = _versions(services, written)
    assert versions.pop(glucose) == 3
    report = [f"{t}/{i}" for t, i in written if t == "DiagnosticReport"]
    assert [versions.pop(r) for r in report] == [1]  # the order itself did not change
    assert set(versions.values()) == {2}
