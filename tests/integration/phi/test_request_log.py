"""Request logs name ids and parameters, never the PHI values of a request."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest

from fhir_server.http.request_log import masked_query
from tests.integration.phi.phi_data import create_patient, distinctive

pytestmark = pytest.mark.integration


def test_request_lines_carry_no_phi(client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    phi = distinctive(uuid.uuid4().hex)
    with caplog.at_level(logging.INFO, logger="nutrivision.request"):
        made = create_patient(client, phi)
        client.get(f"/Patient/{made['id']}")
        client.get("/Patient", params={"family": phi["family"], "birthdate": phi["birthDate"]})
        client.get("/Patient", params={"phone": phi["phone"], "_count": "5"})
        conditional = {"identifier": phi["ssn"]}
        client.put("/Patient", params=conditional, json={"resourceType": "Patient"})
    lines = [r.getMessage() for r in caplog.records if r.name == "nutrivision.request"]
    assert len(lines) == 5
    text = "\n".join(lines)
    for key in ("family", "given", "phone", "birthDate", "ssn", "city"):
        assert phi[key] not in text, key
    assert f"/fhir/Patient/{made['id']}" in text
    assert "family=***&birthdate=***" in text
    assert "phone=***&_count=5" in text
    assert "identifier=***" in text


def test_masking_keeps_controls_and_names() -> None:
    query = "name=Ana%20Rivera&_count=10&_sort=_id&birthdate=1970&_include=Patient:link"
    assert masked_query(query) == (
        "name=***&_count=10&_sort=_id&birthdate=***&_include=Patient:link"
    )
