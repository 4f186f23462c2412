"""Condition.code with ICD-10-CM codes checked on write (default: reject invalid, warn on
a non-leaf category), by POST, PUT, PATCH and in a transaction."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import assert_outcome
from tests.integration.terminology.helpers import ICD10CM

pytestmark = pytest.mark.integration


def _condition(code: str, id_: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": ICD10CM, "code": code}]},
    }
    if id_:
        resource["id"] = id_
    return resource


def test_a_leaf_code_is_accepted_without_warning(client: httpx.Client) -> None:
    response = client.post("/Condition", json=_condition("E11.9"))
    assert response.status_code == 201, response.text
    assert "warning" not in response.headers


def test_an_invented_code_is_rejected_naming_it(client: httpx.Client) -> None:
    body = assert_outcome(
        client.post("/Condition", json=_condition("E11.999")), 422, error_codes.ICD10CM_INVALID_CODE
    )
    issue = body["issue"][0]
    assert "E11.999" in issue["diagnostics"]
    assert issue["expression"] == ["Condition.code.coding[0].code"]


def test_a_code_without_its_dot_is_rejected_with_a_hint(client: httpx.Client) -> None:
    body = assert_outcome(
        client.post("/Condition", json=_condition("E119")), 422, error_codes.ICD10CM_INVALID_CODE
    )
    assert "'E11.9'" in body["issue"][0]["diagnostics"]


def test_a_block_is_not_a_code(client: httpx.Client) -> None:
    assert_outcome(
        client.post("/Condition", json=_condition("E08-E13")), 422, error_codes.ICD10CM_INVALID_CODE
    )


def test_a_non_leaf_category_is_accepted_with_a_warning(client: httpx.Client) -> None:
    response = client.post("/Condition", json=_condition("E11"))
    assert response.status_code == 201, response.text
    assert "E11" in response.headers["warning"]
    assert response.headers["warning"].startswith('299 nutrivision "')
    with_outcome = client.post(
        "/Condition", json=_condition("E11"), headers={"Prefer": "return=OperationOutcome"}
    )
    issues = with_outcome.json()["issue"]
    warning = next(i for i in issues if i["severity"] == "warning")
    assert warning["details"]["coding"][0]["code"] == error_codes.ICD10CM_NOT_A_LEAF
    assert "E11" in warning["diagnostics"]


def test_update_and_patch_are_checked_too(client: httpx.Client) -> None:
    created = client.post("/Condition", json=_condition("I10")).json()
    id_ = created["id"]
    bad_put = client.put(f"/Condition/{id_}", json=_condition("I10.X", id_))
    assert_outcome(bad_put, 422, error_codes.ICD10CM_INVALID_CODE)
    patch = [{"op": "replace", "path": "/code/coding/0/code", "value": "Z99.999"}]
    bad_patch = client.patch(
        f"/Condition/{id_}", json=patch, headers={"Content-Type": "application/json-patch+json"}
    )
    assert_outcome(bad_patch, 422, error_codes.ICD10CM_INVALID_CODE)
    assert client.get(f"/Condition/{id_}").json()["code"]["coding"][0]["code"] == "I10"


def test_a_transaction_with_an_invalid_code_fails_whole(client: httpx.Client) -> None:
    entries = [
        {"resource": _condition(code), "request": {"method": "POST", "url": "Condition"}}
        for code in ("I10", "I10.99")
    ]
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    response = client.post("/", json=bundle)
    assert response.status_code == 422, response.text
    assert "I10.99" in response.text


def test_other_systems_are_not_checked(client: httpx.Client) -> None:
    resource = _condition("anything")
    resource["code"]["coding"][0]["system"] = "http://snomed.info/sct"
    assert client.post("/Condition", json=resource).status_code == 201
