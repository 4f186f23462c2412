"""Nothing the knowledge bases know is missed: every term of every rule's food groups fires
the rule, every drug a rule names fires it, every allergen term is found for its allergy,
each with the severity the data gives."""

from __future__ import annotations

from operations.safety.engine import RULE_SEVERITY, run_check
from operations.safety.model import (
    SEVERITY_RANK,
    AllergyInput,
    FoodInput,
    MedicationInput,
    Severity,
)
from terminology.allergens.loader import load_data
from terminology.allergens.models import AllergenFile
from terminology.interactions.knowledge import knowledge_base


def _severity(food: str, drug: str, rule: str) -> str | None:
    found = run_check([FoodInput(food)], [MedicationInput(drug)], []).findings
    return next((f.severity for f in found if f.rule == rule), None)


def test_every_food_term_of_every_rule_fires_it() -> None:
    kb = knowledge_base()
    misses = []
    for rule in kb.rules:
        drug = sorted(kb.rule_drugs[rule.id])[0]
        for group in rule.food_groups:
            for spec in kb.food_groups[group].specs():
                if _severity(spec.term, drug, rule.id) != RULE_SEVERITY[rule.severity]:
                    misses.append(f"{rule.id}: {spec.term!r} with {drug}")
    assert not misses, misses


def test_every_drug_of_every_rule_fires_it_by_name_and_by_brand() -> None:
    kb = knowledge_base()
    misses = []
    for rule in kb.rules:
        group = kb.food_groups[rule.food_groups[0]]
        food = group.specs()[0].term
        for drug in sorted(kb.rule_drugs[rule.id]):
            names = [drug, *kb.ingredients[drug].brands[:1]]
            for name in names:
                if _severity(food, name, rule.id) != RULE_SEVERITY[rule.severity]:
                    misses.append(f"{rule.id}: {food!r} with {name!r}")
    assert not misses, misses


def test_every_allergen_term_is_found_for_its_allergy() -> None:
    misses = []
    for allergen in load_data("allergens.json", AllergenFile).allergens:
        rule = f"allergen-{allergen.id}"
        for term_list in allergen.term_lists:
            for spec in term_list.specs():
                expected: Severity = "moderate" if spec.certainty == "possible" else "high"
                found = run_check([FoodInput(spec.term)], [], [AllergyInput(allergen.name)])
                got = next((f.severity for f in found.findings if f.rule == rule), None)
                if got is None or SEVERITY_RANK[got] < SEVERITY_RANK[expected]:
                    misses.append(f"{allergen.id}: {spec.term!r} expected {expected}, got {got}")
    assert not misses, misses


def test_every_dish_term_gives_its_allergens() -> None:
    from terminology.allergens.models import DishFile

    allergens = {a.id: a.name for a in load_data("allergens.json", AllergenFile).allergens}
    misses = []
    for dish in load_data("dishes.json", DishFile).dishes:
        for item in dish.allergens:
            expected: Severity = "moderate" if item.certainty == "possible" else "high"
            allergy = AllergyInput(allergens[item.allergen])
            for term in dish.terms:
                found = run_check([FoodInput(term)], [], [allergy]).findings
                got = next(
                    (f.severity for f in found if f.rule == f"allergen-{item.allergen}"), None
                )
                if got is None or SEVERITY_RANK[got] < SEVERITY_RANK[expected]:
                    misses.append(
                        f"{dish.id}: {term!r} {item.allergen} expected {expected}, got {got}"
                    )
    assert not misses, misses
