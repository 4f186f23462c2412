"""The check engine's pieces: spelling, amounts, timing, rendering as valid FHIR."""

from __future__ import annotations

from operations.safety.alerts import FLAG_SYSTEM
from operations.safety.engine import run_check
from operations.safety.foods import read_food, unit_ml, volume_in_text
from operations.safety.model import AllergyInput, FoodInput, MedicationInput
from operations.safety.recheck import patient_of as patient_of_any
from operations.safety.render import check_parameters, detected_issue, finding_identifier
from operations.safety.resources_in import allergy_of, hour_of
from resources.model import validation_issues
from terminology.textmatch.fuzzy import SpellingIndex, osa_distance


def test_osa_distance_counts_a_transposition_as_one_edit() -> None:
    assert osa_distance("grapefruit", "grapefruit") == 0
    assert osa_distance("grapefruit", "grapefriut") == 1
    assert osa_distance("almond", "almnd") == 1
    assert osa_distance("cashew", "walnut") == 3


def test_spelling_index_corrects_unknown_words_only() -> None:
    index = SpellingIndex(["grapefruit", "rye", "rice", "sole", "mole"])
    assert index.candidates("grapefriut") == (["grapefruit"], 1)
    assert index.candidates("rice") == ([], 0)  # known: never read as rye
    assert index.candidates("hole") == ([], 0)  # a short word near two others: left alone
    assert index.candidates("xyzzyq") == ([], 0)


def test_plain_foods_are_recognised_and_never_become_allergens() -> None:
    reading = read_food("steamed rice with chicken")
    assert reading.recognised
    assert reading.allergens == ()
    assert not read_food("qwzxv").recognised


def test_volumes() -> None:
    assert volume_in_text("1.5 L grapefruit juice") == 1500.0
    assert volume_in_text("a glass of grapefruit juice") == 250.0
    assert volume_in_text("grapefruit") is None
    assert unit_ml("[foz_us]") == 29.57
    assert unit_ml("g") is None


def test_times_of_day() -> None:
    assert hour_of("08:30:00") == 8.5
    assert hour_of("2026-01-15T12:30:00+00:00") == 12.5
    assert hour_of("noon") is None


def test_unrecognised_inputs_are_listed() -> None:
    result = run_check(
        [FoodInput("qwzxv")], [MedicationInput("blorbizumab")], [AllergyInput("zzz")]
    )
    assert {(u.kind, u.text) for u in result.unrecognised} == {
        ("food", "qwzxv"),
        ("medication", "blorbizumab"),
        ("allergy", "zzz"),
    }


def test_refuted_and_resolved_allergies_are_not_current() -> None:
    def status(system: str, code: str) -> dict[str, object]:
        return {"coding": [{"system": system, "code": code}]}

    base = {"resourceType": "AllergyIntolerance", "code": {"text": "peanut"}}
    assert allergy_of(base) is not None
    refuted = {**base, "verificationStatus": status("v", "refuted")}
    resolved = {**base, "clinicalStatus": status("c", "resolved")}
    assert allergy_of(refuted) is None
    assert allergy_of(resolved) is None


def test_findings_render_as_valid_detected_issues() -> None:
    result = run_check(
        [FoodInput("grapefruit juice and almond cookies")],
        [MedicationInput("Lipitor 20 mg", reference="MedicationStatement/1")],
        [AllergyInput("tree nuts", reference="AllergyIntolerance/2")],
    )
    assert [f.severity for f in result.findings] == ["high", "moderate"]
    for finding in result.findings:
        issue = detected_issue(finding, "Patient/p", "NutritionIntake/3")
        assert validation_issues(issue) == []
        assert issue["implicated"][0] == {"reference": "NutritionIntake/3"}
    parameters = check_parameters(result, "Patient/p")
    assert validation_issues(parameters) == []
    assert FLAG_SYSTEM.startswith("https://")


def test_identity_is_per_patient_and_cause() -> None:
    (finding,) = run_check([FoodInput("grapefruit")], [MedicationInput("Zocor")], []).findings
    again = run_check([FoodInput("pomelo")], [MedicationInput("simvastatin 20 mg")], []).findings[0]
    assert finding_identifier("Patient/a", finding) == finding_identifier("Patient/a", again)
    assert finding_identifier("Patient/a", finding) != finding_identifier("Patient/b", finding)


def test_subject_or_patient_reference() -> None:
    assert patient_of_any({"subject": {"reference": "Patient/1"}}) == "Patient/1"
    assert patient_of_any({"patient": {"reference": "http://x/fhir/Patient/2"}}) == "Patient/2"
    assert patient_of_any({"subject": {"reference": "Group/1"}}) is None


def test_a_class_name_or_a_typo_gives_low_confidence_but_keeps_severity() -> None:
    for drug in ("a statin", "simvastatn"):
        found = run_check([FoodInput("grapefruit juice")], [MedicationInput(drug)], []).findings
        by_rule = {f.rule: f for f in found}
        assert by_rule["grapefruit-simvastatin"].severity == "high"
        assert by_rule["grapefruit-simvastatin"].confidence == "low"
    exact = run_check([FoodInput("grapefruit juice")], [MedicationInput("Zocor")], []).findings
    assert exact[0].confidence == "high"


def test_dose_dependent_rule_selegiline() -> None:
    def severity(drug: str) -> str:
        found = run_check([FoodInput("aged cheddar")], [MedicationInput(drug)], []).findings
        return next(f.severity for f in found if f.rule == "tyramine-selegiline")

    assert severity("Emsam 6 mg/24 hr patch") == "moderate"
    assert severity("Emsam 9 mg/24 hr patch") == "high"
    assert severity("selegiline 5 mg tablet") == "high"  # oral: the label's diet threshold differs
    assert severity("selegiline") == "high"
