"""The medication knowledge base: coverage, codes, lookup by name, brand, class, typo and code."""

from __future__ import annotations

import re

import pytest

from terminology.medications import (
    ATC_SYSTEM,
    RXNORM_SYSTEM,
    code_match,
    find_medications,
    medication_by_code,
    medication_knowledge,
)

# Ingredients among the most prescribed in the US (ClinCalc DrugStats top 50, 2021), each of
# which must be known with its usual brand.
TOP_DRUGS = {
    "atorvastatin": "Lipitor",
    "metformin": "Glucophage",
    "levothyroxine": "Synthroid",
    "lisinopril": "Zestril",
    "amlodipine": "Norvasc",
    "metoprolol": "Lopressor",
    "albuterol": "Ventolin",
    "omeprazole": "Prilosec",
    "losartan": "Cozaar",
    "gabapentin": "Neurontin",
    "sertraline": "Zoloft",
    "simvastatin": "Zocor",
    "montelukast": "Singulair",
    "escitalopram": "Lexapro",
    "rosuvastatin": "Crestor",
    "bupropion": "Wellbutrin",
    "pantoprazole": "Protonix",
    "trazodone": "Desyrel",
    "fluticasone": "Flonase",
    "tamsulosin": "Flomax",
    "meloxicam": "Mobic",
    "clopidogrel": "Plavix",
    "apixaban": "Eliquis",
    "warfarin": "Coumadin",
}


def test_covers_at_least_the_300_most_prescribed_ingredients_in_size() -> None:
    knowledge = medication_knowledge()
    assert len(knowledge.medications) >= 300
    brands = sum(len(m.brands) for m in knowledge.medications.values())
    assert brands >= 600


@pytest.mark.parametrize(("ingredient", "brand"), sorted(TOP_DRUGS.items()))
def test_top_drugs_resolve_by_generic_and_brand(ingredient: str, brand: str) -> None:
    assert ingredient in {m.ingredient for m in find_medications(ingredient)}
    assert ingredient in {m.ingredient for m in find_medications(f"{brand} 20 mg daily")}


def test_brand_to_ingredient_to_class() -> None:
    (match,) = find_medications("Lipitor 40 mg")
    assert match.ingredient == "atorvastatin"
    assert {"statins", "cyp3a4_statins"} <= set(match.classes)
    assert match.via == "brand"
    assert match.confidence == "high"


def test_combination_brand_gives_every_ingredient() -> None:
    assert {m.ingredient for m in find_medications("Augmentin")} == {"amoxicillin", "clavulanate"}


def test_typo_within_distance_two_is_found_with_low_confidence() -> None:
    (match,) = find_medications("simvastatn 40mg")
    assert match.ingredient == "simvastatin"
    assert match.confidence == "low"
    assert "spelling corrected" in match.note
    (brand,) = find_medications("Cumadin")
    assert brand.ingredient == "warfarin"


def test_class_name_stands_for_every_member() -> None:
    found = {m.ingredient for m in find_medications("an MAOI")}
    assert {"phenelzine", "tranylcypromine", "isocarboxazid", "selegiline"} <= found


def test_unknown_drug_finds_nothing() -> None:
    assert find_medications("zzqxv") == []


def test_lookup_by_rxnorm_and_atc() -> None:
    assert medication_by_code(RXNORM_SYSTEM, "83367") == "atorvastatin"
    assert medication_by_code(ATC_SYSTEM, "C10AA01") == "simvastatin"
    assert medication_by_code(ATC_SYSTEM, "B01AA03") == "warfarin"
    match = code_match(RXNORM_SYSTEM, "11289")
    assert match is not None
    assert match.ingredient == "warfarin"
    assert code_match(RXNORM_SYSTEM, "0") is None


def test_codes_are_well_formed_and_unique() -> None:
    knowledge = medication_knowledge()
    seen: dict[str, str] = {}
    for medication in knowledge.medications.values():
        for code in medication.atc:
            assert re.fullmatch(r"[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}", code), (medication.name, code)
        if medication.rxnorm:
            assert seen.setdefault(medication.rxnorm, medication.name) == medication.name


def test_rule_classes_keep_their_members() -> None:
    knowledge = medication_knowledge()
    assert "statins" in knowledge.classes_of("simvastatin")
    assert "vitamin_k_antagonists" in knowledge.classes_of("warfarin")
    assert "maois" in knowledge.classes_of("phenelzine")


def test_every_medication_renders_as_valid_medication_knowledge() -> None:
    from resources.model import validation_issues
    from terminology.medications.fhir import medication_knowledge_resource

    for name in medication_knowledge().medications:
        resource = medication_knowledge_resource(name)
        assert validation_issues(resource) == [], name
    lipitor = medication_knowledge_resource("atorvastatin")
    assert lipitor["code"]["coding"][0] == {
        "system": RXNORM_SYSTEM,
        "code": "83367",
        "display": "atorvastatin",
    }
    assert "Lipitor" in lipitor["synonym"]
    assert {"system": ATC_SYSTEM, "code": "C10AA05"} in lipitor["code"]["coding"]


def test_interaction_check_definition_is_valid_and_published() -> None:
    from conformance.capability_statement import capability_statement
    from operations import interaction_check
    from resources.model import validation_issues

    assert validation_issues(interaction_check.DEFINITION) == []
    statement = capability_statement("http://x/fhir", "2026-01-01")
    names = {op["name"] for op in statement["rest"][0]["operation"]}
    assert "interaction-check" in names


@pytest.mark.parametrize(
    "text", ["nasal spray", "one tablet daily at bedtime", "two puffs inhaled", "eye drops"]
)
def test_dose_and_form_words_are_never_read_as_drugs(text: str) -> None:
    assert find_medications(text) == []


def test_dose_words_do_not_hide_the_drug() -> None:
    found = find_medications("atorvastatin 20 mg oral tablet once daily at bedtime")
    assert [m.ingredient for m in found] == ["atorvastatin"]
