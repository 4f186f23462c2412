"""A custom SearchParameter on a person type is PHI: its values are stored as blind indexes.

A mother's maiden name searched through a custom parameter keeps working for the searches a
blind index answers (exact, starts-with), is refused for those it cannot (``:contains``), and is
nowhere in the database in plain text. Composite parameters on person types, whose rows would
hold component values in plain text, are refused when the SearchParameter is written.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from typing import Any

import httpx
import pytest

from fhir_server.embedded import ServiceUrls
from tests.integration.phi.phi_data import libpq
from tests.integration.phi.test_no_plaintext import _pg_dump

pytestmark = pytest.mark.integration

MAIDEN_NAME = "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName"


def _parameter(code: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "SearchParameter",
        "url": f"http://example.org/fhir/SearchParameter/{code}",
        "name": code,
        "status": "active",
        "description": f"test parameter {code}",
        "code": code,
        "base": ["Patient"],
        "type": kind,
        **extra,
    }


def _codes(outcome: dict[str, Any]) -> set[str]:
    return {c["code"] for i in outcome["issue"] for c in i.get("details", {}).get("coding", [])}


def test_a_custom_person_parameter_is_blinded(client: httpx.Client, services: ServiceUrls) -> None:
    code = f"maiden-{uuid.uuid4().hex[:8]}"
    expression = f"Patient.extension.where(url='{MAIDEN_NAME}').value"
    posted = client.post("/SearchParameter", json=_parameter(code, "string", expression=expression))
    assert posted.status_code == 201, posted.text
    maiden = f"Quillfeather{uuid.uuid4().hex[:8]}"
    patient = {
        "resourceType": "Patient",
        "extension": [{"url": MAIDEN_NAME, "valueString": maiden}],
    }
    created = client.post("/Patient", json=patient)
    assert created.status_code == 201, created.text

    for value in (maiden, maiden[:7].lower()):
        found = client.get("/Patient", params={code: value}).json()
        matches = [e for e in found.get("entry", []) if e["search"]["mode"] == "match"]
        assert [e["resource"]["id"] for e in matches] == [created.json()["id"]]
    contains = client.get("/Patient", params={f"{code}:contains": maiden[3:9]})
    assert contains.status_code == 400
    assert "NV-0200" in _codes(contains.json())

    dump = subprocess.run(
        [_pg_dump(), "--dbname", libpq(services.database_url)], capture_output=True, check=True
    ).stdout
    assert len(dump) > 1000
    assert re.findall(maiden.lower().encode(), dump.lower()) == []


def test_a_composite_on_a_person_type_is_refused(client: httpx.Client) -> None:
    code = f"gender-name-{uuid.uuid4().hex[:8]}"
    resource = _parameter(
        code,
        "composite",
        expression="Patient",
        component=[
            {
                "definition": "http://hl7.org/fhir/SearchParameter/individual-gender",
                "expression": "gender",
            },
            {
                "definition": "http://hl7.org/fhir/SearchParameter/individual-family",
                "expression": "name.family",
            },
        ],
    )
    response = client.post("/SearchParameter", json=resource)
    assert response.status_code == 400, response.text
    assert "unencrypted" in response.text
    listed = client.get("/SearchParameter", params={"url": resource["url"]}).json()
    assert listed.get("entry", []) == []
