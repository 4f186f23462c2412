"""FHIR JSON rules the server keeps: decimal precision survives, empty values are refused."""

from __future__ import annotations

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import assert_outcome

pytestmark = pytest.mark.integration

OBSERVATION = (
    b'{"resourceType": "Observation", "status": "final", "code": {"text": "weight"},'
    b' "valueQuantity": {"value": 72.50, "unit": "kg"},'
    b' "referenceRange": [{"low": {"value": 1.0e1}}]}'
)


def test_decimal_precision_survives_create_read_and_patch(client: httpx.Client) -> None:
    created = client.post("/Observation", content=OBSERVATION)
    assert created.status_code == 201, created.text
    assert b'"value":72.50' in created.content
    location = f"/Observation/{created.json()['id']}"
    assert b'"value":72.50' in client.get(location).content
    assert b'"value": 1.0e1' in client.get(location, params={"_pretty": "true"}).content
    patched = client.patch(
        location,
        json=[{"op": "replace", "path": "/status", "value": "amended"}],
        headers={"Content-Type": "application/json-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    assert b'"value":72.50' in patched.content


@pytest.mark.parametrize(
    ("body", "expression"),
    [
        (b'{"resourceType": "Patient", "name": []}', "Patient.name"),
        (b'{"resourceType": "Patient", "birthDate": null}', "Patient.birthDate"),
        (b'{"resourceType": "Patient", "name": [{}]}', "Patient.name[0]"),
        (b'{"resourceType": "Patient", "name": [{"family": ""}]}', "Patient.name[0].family"),
        (b'{"resourceType": "Patient", "multipleBirthInteger": NaN}', None),
    ],
    ids=["empty-array", "null", "empty-object", "empty-string", "nan"],
)
def test_empty_and_non_json_values_are_refused(
    client: httpx.Client, body: bytes, expression: str | None
) -> None:
    response = client.post("/Patient", content=body)
    code = error_codes.RESOURCE_INVALID if expression else error_codes.INVALID_JSON
    outcome = assert_outcome(response, 400, code)
    if expression:
        assert any(expression in issue.get("expression", []) for issue in outcome["issue"])
