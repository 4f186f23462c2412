"""The allergen matcher on realistic food descriptions, with its evidence and negatives."""

from __future__ import annotations

import pytest

from terminology.allergens.matcher import (
    AllergenHit,
    allergen_ids,
    allergens_in,
    allergy_ids,
    matches_allergy,
)

# (food text, allergens that must be found, allergens that must not be)
CASES: list[tuple[str, set[str], set[str]]] = [
    ("two scrambled eggs", {"egg"}, {"milk", "wheat"}),
    ("pad thai with peanuts and fish sauce", {"peanut", "fish"}, {"tree_nuts"}),
    ("caesar salad", {"egg", "fish", "milk", "wheat"}, {"peanut"}),
    ("hummus", {"sesame"}, {"wheat"}),
    ("pesto", {"pine_nut", "milk"}, {"peanut"}),
    ("a slice of whole wheat toast with butter", {"wheat", "milk"}, {"egg"}),
    ("grilled salmon with lemon", {"fish"}, {"crustacean_shellfish"}),
    ("shrimp cocktail", {"crustacean_shellfish"}, {"fish"}),
    ("steamed mussels in white wine", {"molluscs", "sulphites"}, {"crustacean_shellfish"}),
    ("tofu stir fry with soy sauce", {"soy", "wheat"}, {"peanut"}),
    ("miso soup", {"soy", "fish"}, set()),
    ("bagel with cream cheese", {"wheat", "milk"}, {"egg"}),
    ("whey protein shake", {"milk"}, set()),
    ("almond croissant", {"almond", "wheat"}, {"peanut"}),
    ("cashew chicken", {"cashew"}, set()),
    ("pistachio ice cream", {"pistachio", "milk"}, set()),
    ("hazelnut spread on toast", {"hazelnut", "wheat"}, set()),
    ("macadamia cookies", {"macadamia", "wheat"}, set()),
    ("pecan pie", {"pecan"}, set()),
    ("brazil nuts", {"brazil_nut"}, {"peanut"}),
    ("sesame bagel", {"sesame", "wheat"}, set()),
    ("tahini dressing", {"sesame"}, set()),
    ("celery sticks with peanut butter", {"celery", "peanut"}, {"milk"}),
    ("dijon mustard vinaigrette", {"mustard"}, set()),
    ("dried apricots", {"sulphites"}, set()),
    ("lupin flour bread", {"lupin", "wheat"}, set()),
    ("calamari rings", {"molluscs"}, set()),
    ("crab cakes", {"crustacean_shellfish"}, set()),
    ("seitan burger", {"wheat"}, set()),
    ("couscous salad", {"wheat"}, set()),
    ("oatmeal with raisins", {"oats"}, {"wheat"}),
    ("rye bread", {"rye"}, set()),
    ("barley soup", {"barley"}, set()),
    ("spelt pasta", {"wheat"}, set()),
    ("meringue", {"egg"}, set()),
    ("worcestershire sauce", {"fish"}, set()),
    ("surimi sticks", {"fish", "egg"}, set()),
    ("anchovy pizza", {"fish", "milk", "wheat"}, set()),
    ("ghee rice", {"milk"}, set()),
    ("paneer tikka", {"milk"}, set()),
    ("sodium caseinate", {"milk"}, set()),
    ("arachis oil", {"peanut"}, {"tree_nuts"}),
    ("groundnut stew", {"peanut"}, set()),
    ("gomasio", {"sesame"}, set()),
    ("natto", {"soy"}, set()),
    ("edamame", {"soy"}, set()),
    ("Crème brûlée", {"egg", "milk"}, set()),
    ("PEANUTS!", {"peanut"}, set()),
    ("mixed nuts", {"tree_nuts", "peanut"}, set()),
    # Negative controls: these must not alert for the allergen shown.
    ("doughnut", {"wheat", "egg", "milk"}, {"tree_nuts", "peanut"}),
    ("glazed donuts", {"wheat"}, {"tree_nuts", "peanut"}),
    ("nutmeg", set(), {"tree_nuts", "peanut"}),
    ("water chestnuts", set(), {"chestnut", "tree_nuts"}),
    ("butternut squash soup", set(), {"tree_nuts", "walnut"}),
    ("cocoa butter", set(), {"milk"}),
    ("eggplant parmesan", {"milk"}, {"egg"}),
    ("buckwheat", set(), {"wheat"}),
    ("cream of tartar", set(), {"milk"}),
    ("swedish fish candy", set(), {"fish"}),
    ("root beer", set(), {"barley"}),
    ("rice and beans", set(), {"peanut", "soy", "wheat"}),
    ("grilled chicken breast", set(), {"egg", "milk"}),
    ("steamed broccoli", set(), {"milk"}),
    ("apple slices", set(), {"tree_nuts"}),
]


def _found(text: str) -> set[str]:
    return {hit.allergen for hit in allergens_in(text)}


@pytest.mark.parametrize(("text", "present", "absent"), CASES, ids=[c[0] for c in CASES])
def test_realistic_food_descriptions(text: str, present: set[str], absent: set[str]) -> None:
    found = _found(text)
    assert present <= found, f"missed {present - found} in {text!r}"
    assert not absent & found, f"false alert {absent & found} in {text!r}"


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
    assert sum(1 for _, present, _ in CASES if not present) >= 10


def _one(text: str, allergen: str) -> AllergenHit:
    hits = [hit for hit in allergens_in(text) if hit.allergen == allergen]
    assert len(hits) == 1, hits
    return hits[0]


def test_a_hit_carries_its_evidence_and_citation() -> None:
    hit = _one("Smoothie with WHEY and banana", "milk")
    assert (hit.matched_text, hit.term, hit.kind) == ("WHEY", "whey", "hidden")
    assert hit.certainty == "contains"
    assert hit.source == "fare-label"
    assert "Food Allergy Research" in hit.citation
    assert hit.fda_major
    assert hit.eu_annex_ii == 7
    assert "'WHEY' -> Milk (contains" in hit.explain()


def test_a_dish_hit_names_the_ingredient_it_comes_through() -> None:
    hit = _one("hummus", "sesame")
    assert hit.certainty == "likely"
    assert "tahini" in hit.note
    anchovy = _one("chicken caesar salad", "fish")
    assert "anchovy" in anchovy.note
    assert anchovy.kind == "dish"


def test_a_member_hit_names_its_groups() -> None:
    assert _one("rye bread", "rye").groups == ("cereals_containing_gluten",)
    assert _one("walnuts", "walnut").groups == ("tree_nuts",)
    assert allergen_ids(allergens_in("walnuts")) == {"walnut", "tree_nuts"}


def test_doughnut_is_a_dish_not_a_nut() -> None:
    hits = allergens_in("a chocolate doughnut")
    assert {hit.allergen for hit in hits if hit.kind == "dish"} == {"wheat", "egg", "milk"}
    assert "not a tree nut" in _one("doughnut", "wheat").note


def test_an_unspecified_nut_is_a_possible_tree_nut_and_a_possible_peanut() -> None:
    hits = {hit.allergen: hit for hit in allergens_in("a handful of nuts")}
    assert hits["tree_nuts"].certainty == "possible"
    assert hits["peanut"].certainty == "possible"


def test_coconut_is_a_possible_tree_nut_with_the_fda_note() -> None:
    tree_nut = _one("coconut water", "tree_nuts")
    assert tree_nut.certainty == "possible"
    assert "January 2025" in tree_nut.note
    assert _one("coconut water", "coconut").certainty == "contains"


@pytest.mark.parametrize(
    ("text", "allergen"),
    [("dairy-free ice cream", "milk"), ("peanut-free cookies", "peanut"), ("no nuts", "tree_nuts")],
)
def test_free_from_claims_lower_a_match_but_never_drop_it(text: str, allergen: str) -> None:
    hits = [hit for hit in allergens_in(text) if hit.allergen == allergen]
    assert hits
    assert all(hit.certainty == "possible" for hit in hits)
    assert all("free-from claims are not guarantees" in hit.note for hit in hits)


@pytest.mark.parametrize(
    ("text", "food"),
    [("fat-free milk", "milk"), ("lactose-free milk", "milk"), ("sugar free yogurt", "yogurt")],
)
def test_other_free_claims_leave_milk_certain(text: str, food: str) -> None:
    milk = [hit for hit in allergens_in(text) if hit.matched_text == food]
    assert [(hit.allergen, hit.certainty) for hit in milk] == [("milk", "contains")]


def test_the_same_place_keeps_its_strongest_evidence() -> None:
    hits = [hit for hit in allergens_in("hummus") if hit.allergen == "sesame"]
    assert len(hits) == 1


def test_empty_text_has_no_allergens() -> None:
    assert allergens_in("") == []
    assert allergens_in("   ,.;") == []


def test_patient_allergies_resolve_by_code_name_or_text() -> None:
    assert allergy_ids(code="256349002") == ["peanut"]
    assert allergy_ids("Tree nuts") == ["tree_nuts"]
    assert allergy_ids("Allergy to shellfish") == ["shellfish"]
    assert allergy_ids("", code="1") == []


def test_allergies_match_related_hits_both_ways() -> None:
    almond = _one("almond milk", "almond")
    assert matches_allergy("tree_nuts", almond)
    assert matches_allergy("almond", _one("a bag of nuts", "tree_nuts"))
    assert not matches_allergy("walnut", almond)
    assert matches_allergy("shellfish", _one("prawns", "crustacean_shellfish"))
