"""``$interaction-check`` over HTTP: system and instance level, matching, bad input."""

from __future__ import annotations

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import assert_outcome, create_patient
from tests.integration.safety.helpers import (
    RXNORM,
    SNOMED,
    allergy,
    create,
    findings,
    intake,
    parameters,
    post_check,
    rule_codes,
    statement,
    unrecognised,
)

pytestmark = pytest.mark.integration


def test_system_level_finds_food_drug_and_allergen(client: httpx.Client) -> None:
    body = parameters(
        food=["grapefruit juice", "almond flour pancakes"],
        medication=["Zocor 40 mg"],
        allergy=["tree nuts"],
    )
    issues = findings(post_check(client, body))
    by_rule = {next(iter(rule_codes([i]))): i for i in issues}
    assert by_rule["grapefruit-simvastatin"]["severity"] == "high"
    assert by_rule["allergen-tree_nuts"]["severity"] == "high"
    interaction = by_rule["grapefruit-simvastatin"]
    assert interaction["code"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "code": "FOOD",
        "display": "Food Interaction Alert",
    }
    assert by_rule["allergen-tree_nuts"]["code"]["coding"][0]["code"] == "ALLERGY"
    evidence = " ".join(e["code"][0]["text"] for e in interaction["evidence"])
    assert "simvastatin (brand)" in evidence
    assert "Source:" in evidence
    assert interaction["mitigation"][0]["action"]["text"]
    assert "Zocor 40 mg" in interaction["detail"]


def test_codes_resolve_drugs_and_allergies(client: httpx.Client) -> None:
    body = parameters(
        food=[{"valueCodeableConcept": {"text": "aged cheddar"}}],
        medication=[{"valueCodeableConcept": {"coding": [{"system": RXNORM, "code": "8123"}]}}],
        allergy=[{"valueCodeableConcept": {"coding": [{"system": SNOMED, "code": "3718001"}]}}],
    )
    issues = findings(post_check(client, body))
    assert {"tyramine-maois-nonselective", "allergen-milk"} <= rule_codes(issues)


def test_unrecognised_inputs_are_reported(client: httpx.Client) -> None:
    body = parameters(food=["qwzxv"], medication=["blorbizumab"], allergy=["grass pollen x"])
    answer = post_check(client, body)
    assert ("food", "qwzxv") in unrecognised(answer)
    assert ("medication", "blorbizumab") in unrecognised(answer)
    outcome = next(p["resource"] for p in answer["parameter"] if p["name"] == "outcome")
    assert any("qwzxv" in issue["diagnostics"] for issue in outcome["issue"])


def test_typo_is_found_with_low_confidence_and_keeps_severity(client: httpx.Client) -> None:
    body = parameters(food=["grapefriut juice"], medication=["simvastatn"])
    (issue,) = [i for i in findings(post_check(client, body)) if i["severity"] == "high"]
    confidence = issue["extension"][0]
    assert confidence["valueCode"] == "low"


def test_amount_raises_severity(client: httpx.Client) -> None:
    small = parameters(food=["a glass of grapefruit juice"], medication=["Lipitor"])
    large = parameters(
        food=[{"part": [
            {"name": "item", "valueString": "grapefruit juice"},
            {"name": "amount", "valueQuantity": {"value": 1.5, "unit": "L", "code": "L"}},
        ]}],
        medication=["Lipitor"],
    )  # fmt: skip
    assert [i["severity"] for i in findings(post_check(client, small))] == ["moderate"]
    assert [i["severity"] for i in findings(post_check(client, large))] == ["high"]


def test_timing_lowers_severity_when_spaced(client: httpx.Client) -> None:
    def body(food_time: str) -> dict[str, object]:
        return parameters(
            food=[{"part": [{"name": "item", "valueString": "calcium supplement"},
                            {"name": "time", "valueTime": food_time}]}],
            medication=[{"part": [{"name": "item", "valueString": "levothyroxine 50 mcg"},
                                  {"name": "time", "valueTime": "06:00:00"}]}],
        )  # fmt: skip

    together = findings(post_check(client, body("07:00:00")))
    spaced = findings(post_check(client, body("12:00:00")))
    assert [i["severity"] for i in together] == ["moderate"]
    assert [i["severity"] for i in spaced] == ["low"]


def test_instance_level_uses_the_patients_record(client: httpx.Client) -> None:
    patient = f"Patient/{create_patient(client)['id']}"
    create(client, statement(patient, "Coumadin 5 MG Oral Tablet", "855332"))
    create(client, statement(patient, "Flagyl 500 mg", status="stopped"))
    create(client, allergy(patient, "Shrimp", "278840001"))
    body = parameters(food=["kale salad", "shrimp scampi", "a glass of red wine"])
    answer = post_check(client, body, f"/{patient}/$interaction-check")
    codes = rule_codes(findings(answer))
    assert {"vitamin-k-vka", "allergen-crustacean_shellfish"} <= codes
    assert "alcohol-nitroimidazoles" not in codes  # the Flagyl statement is stopped
    implicated = {r.get("reference") for i in findings(answer) for r in i["implicated"]}
    assert any(str(ref).startswith("MedicationStatement/") for ref in implicated)


def test_system_level_with_a_patient_adds_the_record(client: httpx.Client) -> None:
    patient = f"Patient/{create_patient(client)['id']}"
    create(client, statement(patient, "phenelzine 15 mg"))
    body = parameters(food=["soy sauce"], patient=[{"valueReference": {"reference": patient}}])
    assert "tyramine-maois-nonselective" in rule_codes(findings(post_check(client, body)))


def test_get_with_strings_works(client: httpx.Client) -> None:
    response = client.get(
        "/$interaction-check", params={"food": "red wine", "medication": "Flagyl"}
    )
    assert response.status_code == 200, response.text
    assert "alcohol-nitroimidazoles" in rule_codes(findings(response.json()))


def test_empty_parameters_is_400(client: httpx.Client) -> None:
    response = client.post("/$interaction-check", json={"resourceType": "Parameters"})
    assert_outcome(response, 400, error_codes.INTERACTION_CHECK_EMPTY)


def test_unknown_parameter_is_400(client: httpx.Client) -> None:
    body = parameters(food=["rice"], colour=["blue"])
    assert_outcome(
        client.post("/$interaction-check", json=body), 400, error_codes.BAD_OPERATION_PARAMETER
    )


def test_too_many_foods_is_413(client: httpx.Client) -> None:
    body = {
        "resourceType": "Parameters",
        "parameter": [{"name": "food", "valueString": "a"}] * 10_000,
    }
    response = client.post("/$interaction-check", json=body)
    assert response.status_code == 413, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    small_enough = parameters(food=["rice"] * 201, medication=["Lipitor"])
    assert_outcome(
        client.post("/$interaction-check", json=small_enough),
        413,
        error_codes.INTERACTION_CHECK_TOO_MANY,
    )


def test_unknown_patient_is_404(client: httpx.Client) -> None:
    body = parameters(food=["grapefruit"])
    assert_outcome(
        client.post("/Patient/no-such-patient/$interaction-check", json=body),
        404,
        error_codes.INTERACTION_CHECK_PATIENT_NOT_FOUND,
    )
    by_reference = parameters(
        food=["grapefruit"], patient=[{"valueReference": {"reference": "Patient/nope"}}]
    )
    assert_outcome(
        client.post("/$interaction-check", json=by_reference),
        404,
        error_codes.INTERACTION_CHECK_PATIENT_NOT_FOUND,
    )


def test_instance_level_refuses_medications(client: httpx.Client) -> None:
    patient = create_patient(client)["id"]
    body = parameters(food=["rice"], medication=["Lipitor"])
    assert_outcome(
        client.post(f"/Patient/{patient}/$interaction-check", json=body),
        400,
        error_codes.BAD_OPERATION_PARAMETER,
    )


def test_metrics_count_checks(client: httpx.Client, base_url: str) -> None:
    post_check(client, parameters(food=["grapefruit"], medication=["Zocor"]))
    text = httpx.get(base_url.removesuffix("/fhir") + "/metrics").text
    assert "medication_interaction_checks_total{" in text
    assert "medication_interaction_check_seconds_bucket{" in text


def test_foods_by_nutrition_intake_reference_and_allergy_as_a_resource(
    client: httpx.Client,
) -> None:
    patient = f"Patient/{create_patient(client)['id']}"
    logged = create(client, intake(patient, "grapefruit juice", "pesto pasta"))
    body = parameters(
        food=[{"valueReference": {"reference": f"NutritionIntake/{logged['id']}"}}],
        medication=["Zocor"],
        allergy=[{"resource": allergy(patient, "Pine nuts")}],
    )
    codes = rule_codes(findings(post_check(client, body)))
    assert {"grapefruit-simvastatin", "allergen-pine_nut"} <= codes


def test_an_unknown_food_reference_is_404(client: httpx.Client) -> None:
    body = parameters(food=[{"valueReference": {"reference": "NutritionIntake/none-such"}}])
    body["parameter"].append({"name": "medication", "valueString": "Zocor"})
    assert_outcome(
        client.post("/$interaction-check", json=body),
        404,
        error_codes.INTERACTION_CHECK_REFERENCE_NOT_FOUND,
    )
