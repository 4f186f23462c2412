"""Profile validation on write, in its default configuration."""

from __future__ import annotations

import httpx
import pytest

from resources import error_codes
from tests.ig_data import profiled
from tests.integration.fhir_http import assert_outcome, create

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", ["nv-allergy-intolerance", "nv-condition", "nv-nutrition-intake"])
def test_conforming_records_of_enforced_types_are_stored(client: httpx.Client, name: str) -> None:
    resource = profiled(name)
    del resource["id"]
    create(client, resource)


def test_an_allergy_breaking_its_claimed_profile_is_refused(client: httpx.Client) -> None:
    allergy = profiled("nv-allergy-intolerance")
    del allergy["id"]
    del allergy["code"]
    body = assert_outcome(
        client.post("/AllergyIntolerance", json=allergy), 422, error_codes.PROFILE_VALIDATION_FAILED
    )
    assert body["issue"][1]["expression"] == ["AllergyIntolerance.code"]


def test_a_condition_outside_icd10cm_claiming_our_profile_is_refused_on_update(
    client: httpx.Client,
) -> None:
    condition = profiled("nv-condition")
    condition["id"] = "icd-check"
    assert client.put("/Condition/icd-check", json=condition).status_code in (200, 201)
    condition["code"] = {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]}
    response = client.put("/Condition/icd-check", json=condition)
    assert_outcome(response, 422, error_codes.PROFILE_VALIDATION_FAILED)


def test_a_plain_base_conformant_record_is_accepted(client: httpx.Client) -> None:
    condition = profiled("nv-condition")
    del condition["id"]
    del condition["meta"]
    condition["code"] = {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]}
    create(client, condition)


def test_a_type_that_is_off_by_default_is_not_checked_against_its_claims(
    client: httpx.Client,
) -> None:
    patient = profiled("nv-patient")
    del patient["id"]
    del patient["gender"]
    create(client, patient)


def test_a_transaction_entry_is_checked_too(client: httpx.Client) -> None:
    allergy = profiled("nv-allergy-intolerance")
    del allergy["id"]
    del allergy["code"]
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": allergy, "request": {"method": "POST", "url": "AllergyIntolerance"}}
        ],
    }
    response = client.post("", json=bundle)
    assert response.status_code == 422, response.text
