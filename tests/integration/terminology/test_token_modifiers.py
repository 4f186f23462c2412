"""Token search with ``:in``, ``:not-in``, ``:below`` and ``:above`` on ICD-10-CM codes,
stored, shipped and implicit value sets."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import assert_outcome
from tests.integration.terminology.helpers import ICD10CM

pytestmark = pytest.mark.integration

CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
TAG = "urn:test:token-modifiers"


@pytest.fixture(scope="module")
def conditions(base_url: str) -> tuple[str, dict[str, str]]:
    """A tag and the ids of its Conditions by ICD-10-CM code."""
    tag = str(uuid.uuid4())
    ids: dict[str, str] = {}
    headers = {"Content-Type": "application/fhir+json"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        for code in ("E11", "E11.9", "E11.65", "E10.9", "I10"):
            resource: dict[str, Any] = {
                "resourceType": "Condition",
                "identifier": [{"system": TAG, "value": tag}],
                "subject": {"reference": "Patient/p"},
                "code": {"coding": [{"system": ICD10CM, "code": code}]},
            }
            if code != "I10":
                resource["clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": "active"}]}
            response = client.post("/Condition", json=resource)
            assert response.status_code == 201, response.text
            ids[code] = response.json()["id"]
    return tag, ids


def _codes(client: httpx.Client, tag: str, ids: dict[str, str], name: str, value: str) -> set[str]:
    response = client.get("/Condition", params={"identifier": f"{TAG}|{tag}", name: value})
    assert response.status_code == 200, response.text
    by_id = {v: k for k, v in ids.items()}
    return {by_id[e["resource"]["id"]] for e in response.json().get("entry", [])}


def test_below_and_above(client: httpx.Client, conditions: tuple[str, dict[str, str]]) -> None:
    tag, ids = conditions
    assert _codes(client, tag, ids, "code:below", f"{ICD10CM}|E11") == {"E11", "E11.9", "E11.65"}
    assert _codes(client, tag, ids, "code:below", f"{ICD10CM}|E08-E13") == {
        "E11",
        "E11.9",
        "E11.65",
        "E10.9",
    }
    assert _codes(client, tag, ids, "code:above", f"{ICD10CM}|E11.65") == {"E11", "E11.65"}
    assert _codes(client, tag, ids, "code:below", f"{ICD10CM}|I10") == {"I10"}


def test_in_and_not_in_a_stored_value_set(
    client: httpx.Client, conditions: tuple[str, dict[str, str]]
) -> None:
    tag, ids = conditions
    url = f"urn:uuid:{uuid.uuid4()}"
    include = {"system": ICD10CM, "filter": [{"property": "concept", "op": "is-a", "value": "E11"}]}
    value_set = {
        "resourceType": "ValueSet",
        "url": url,
        "status": "active",
        "compose": {
            "include": [include],
            "exclude": [{"system": ICD10CM, "concept": [{"code": "E11.9"}]}],
        },
    }
    assert client.post("/ValueSet", json=value_set).status_code == 201
    assert _codes(client, tag, ids, "code:in", url) == {"E11", "E11.65"}
    assert _codes(client, tag, ids, "code:not-in", url) == {"E11.9", "E10.9", "I10"}


def test_in_an_implicit_and_a_shipped_value_set(
    client: httpx.Client, conditions: tuple[str, dict[str, str]]
) -> None:
    tag, ids = conditions
    assert _codes(client, tag, ids, "code:in", f"{ICD10CM}?fhir_vs=isa/E10") == {"E10.9"}
    shipped = "http://hl7.org/fhir/ValueSet/condition-clinical"
    assert _codes(client, tag, ids, "clinical-status:in", shipped) == {
        "E11",
        "E11.9",
        "E11.65",
        "E10.9",
    }
    assert _codes(client, tag, ids, "clinical-status:not-in", shipped) == {"I10"}


def test_unknown_value_set_or_system_is_400(client: httpx.Client) -> None:
    response = client.get("/Condition", params={"code:in": "urn:no-such-value-set"})
    assert_outcome(response, 400, error_codes.UNKNOWN_VALUE_SET)
    response = client.get("/Condition", params={"code:below": "urn:no-such-system|x"})
    assert_outcome(response, 400, error_codes.UNKNOWN_CODE_SYSTEM)
    response = client.get("/Condition", params={"code:below": "E11"})
    assert response.status_code == 400
