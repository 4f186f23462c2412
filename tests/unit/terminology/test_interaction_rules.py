"""interaction_rules_for and resolve_drug on realistic food and drug pairs, with negatives."""

from __future__ import annotations

import pytest

from terminology.interactions.drugs import ingredient_for_rxnorm, resolve_drug
from terminology.interactions.foods import food_groups_in, is_food
from terminology.interactions.resolver import interaction_rules_for

# (foods, drugs, rule that must fire, its severity)
POSITIVES: list[tuple[str, str, str, str]] = [
    ("a glass of grapefruit juice", "simvastatin 40 mg", "grapefruit-simvastatin", "major"),
    ("half a pink grapefruit", "Zocor", "grapefruit-simvastatin", "major"),
    ("Seville orange marmalade on toast", "lovastatin", "grapefruit-lovastatin", "major"),
    ("pomelo salad", "Prograf 1 mg", "grapefruit-calcineurin-inhibitors", "major"),
    ("grapefruit", "Lipitor 20mg", "grapefruit-atorvastatin", "moderate"),
    ("grapefruit juice", "Norvasc", "grapefruit-amlodipine", "minor"),
    ("aged cheddar", "phenelzine", "tyramine-maois-nonselective", "contraindicated"),
    ("salami and a draft beer", "Parnate", "tyramine-maois-nonselective", "contraindicated"),
    ("miso soup", "Emsam", "tyramine-selegiline", "major"),
    ("blue cheese dressing", "Zyvox", "tyramine-linezolid", "major"),
    ("kale salad", "Coumadin", "vitamin-k-vka", "moderate"),
    ("spinach smoothie", "Jantoven 5 mg", "vitamin-k-vka", "moderate"),
    ("natto", "acenocoumarol", "vitamin-k-vka", "moderate"),
    ("cranberry juice", "warfarin", "cranberry-warfarin", "minor"),
    ("milk", "doxycycline", "dairy-doxycycline-minocycline", "minor"),
    ("yogurt", "tetracycline", "dairy-tetracycline", "moderate"),
    ("a glass of milk", "Cipro 500", "dairy-ciprofloxacin-norfloxacin", "moderate"),
    ("Tums", "levofloxacin", "minerals-fluoroquinolones", "moderate"),
    ("ferrous sulfate tablet", "Synthroid", "minerals-levothyroxine", "moderate"),
    ("calcium supplement", "Fosamax", "food-bisphosphonates", "moderate"),
    ("coffee", "Fosamax", "food-bisphosphonates", "moderate"),
    ("banana", "spironolactone", "potassium-foods-k-sparing", "moderate"),
    ("salt substitute", "Aldactone", "potassium-salt-k-sparing", "major"),
    ("LoSalt", "lisinopril", "potassium-salt-raas", "moderate"),
    ("baked potato", "losartan", "potassium-foods-raas", "minor"),
    ("black licorice", "digoxin", "licorice-digoxin", "major"),
    ("liquorice tea", "hydrochlorothiazide", "licorice-diuretics", "moderate"),
    ("coffee", "theophylline", "caffeine-theophylline", "moderate"),
    ("two cups of coffee", "ciprofloxacin", "caffeine-ciprofloxacin", "minor"),
    ("wine", "metronidazole", "alcohol-nitroimidazoles", "major"),
    ("a pint of lager", "Flagyl 500mg", "alcohol-nitroimidazoles", "major"),
    ("vodka", "Antabuse", "alcohol-disulfiram", "contraindicated"),
    ("two glasses of wine", "Xanax", "alcohol-cns-depressants", "major"),
    ("beer", "Percocet", "alcohol-cns-depressants", "major"),
    ("beer", "Percocet", "alcohol-acetaminophen", "moderate"),
    ("whisky", "metformin 500 mg", "alcohol-metformin", "moderate"),
    ("toast and jam", "Tasigna", "food-nilotinib", "major"),
    ("steak dinner", "Sinemet", "protein-levodopa", "moderate"),
    ("green tea", "nadolol", "green-tea-nadolol", "moderate"),
    ("St John's wort capsules", "Neoral", "sjw-calcineurin-inhibitors", "major"),
    ("St. John's Wort", "Yaz", "sjw-contraceptives", "major"),
    ("hypericum tea", "Zoloft", "sjw-serotonergic", "major"),
    ("orange juice", "Allegra", "fruit-juice-fexofenadine", "moderate"),
]

NEGATIVES: list[tuple[str, str]] = [
    ("grapefruit juice", "pravastatin"),
    ("grapefruit juice", "rosuvastatin"),
    ("apple", "simvastatin"),
    ("fresh mozzarella", "phenelzine"),
    ("cottage cheese", "Nardil"),
    ("kale salad", "apixaban"),
    ("root beer", "metronidazole"),
    ("ginger ale", "disulfiram"),
    ("a glass of water", "Tasigna"),
    ("plain water", "Fosamax"),
    ("banana", "atorvastatin"),
    ("rice", "warfarin"),
    ("herbal tea", "theophylline"),
    ("", "simvastatin"),
]


@pytest.mark.parametrize(("food", "drug", "rule_id", "severity"), POSITIVES)
def test_positive_pairs_fire_with_the_right_severity(
    food: str, drug: str, rule_id: str, severity: str
) -> None:
    hits = {hit.rule_id: hit for hit in interaction_rules_for([food], [drug])}
    assert rule_id in hits, f"{food!r} + {drug!r} missed {rule_id}"
    assert hits[rule_id].severity == severity


@pytest.mark.parametrize(("food", "drug"), NEGATIVES)
def test_negative_pairs_do_not_fire(food: str, drug: str) -> None:
    assert interaction_rules_for([food], [drug]) == []


def test_a_hit_explains_itself() -> None:
    [hit] = interaction_rules_for(["kale salad"], ["Coumadin 5 mg"])
    assert hit.rule_id == "vitamin-k-vka"
    assert [(f.matched_text, f.certainty) for f in hit.foods] == [
        ("kale", "contains"),
        ("salad", "possible"),
    ]
    assert hit.certainty == "contains"
    assert [(d.ingredient, d.via, d.matched_text) for d in hit.drugs] == [
        ("warfarin", "brand", "Coumadin")
    ]
    assert "vitamin_k_antagonists" in hit.drugs[0].classes
    assert hit.citations[0].startswith("Coumadin / Jantoven (warfarin)")
    assert hit.review_status == "draft"
    assert "consistent" in hit.management
    assert "[vitamin-k-vka]" in hit.explain()
    assert "'Coumadin' -> warfarin (brand)" in hit.explain()


def test_hits_come_most_severe_first_across_many_inputs() -> None:
    hits = interaction_rules_for(
        ["grapefruit juice", "aged cheddar", "banana"],
        ["Zocor", "Nardil", "lisinopril"],
    )
    ranks = {"contraindicated": 4, "major": 3, "moderate": 2, "minor": 1}
    severities = [ranks[hit.severity] for hit in hits]
    assert severities == sorted(severities, reverse=True)
    assert {hit.rule_id for hit in hits} == {
        "tyramine-maois-nonselective",
        "grapefruit-simvastatin",
        "potassium-foods-raas",
    }


def test_a_class_name_is_a_possible_match_for_its_members() -> None:
    hits = {hit.rule_id: hit for hit in interaction_rules_for(["grapefruit"], ["a statin"])}
    assert hits["grapefruit-simvastatin"].certainty == "possible"
    assert hits["grapefruit-simvastatin"].drugs[0].named_class == "statins"


def test_a_possible_food_term_lowers_the_certainty() -> None:
    [hit] = interaction_rules_for(["cheese sandwich"], ["phenelzine"])
    assert hit.certainty == "possible"
    assert "fresh cheeses" in hit.foods[0].note


def test_free_from_wording_lowers_but_keeps_the_alert() -> None:
    [hit] = interaction_rules_for(["decaf coffee"], ["theophylline"])
    assert hit.certainty == "possible"


def test_retired_rules_never_fire() -> None:
    from terminology.interactions.knowledge import knowledge_base

    kb = knowledge_base()
    retired = [
        rule.model_copy(update={"review": rule.review.model_copy(update={"status": "retired"})})
        if rule.id == "grapefruit-simvastatin"
        else rule
        for rule in kb.rules
    ]
    assert interaction_rules_for(["grapefruit"], ["simvastatin"], kb.with_rules(retired)) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lipitor 20 mg tablet", {"atorvastatin": "brand"}),
        ("simvastatin", {"simvastatin": "generic"}),
        ("Percocet 5/325", {"oxycodone": "brand", "acetaminophen": "brand"}),
        ("paracetamol 1 g", {"acetaminophen": "synonym"}),
        ("ciclosporin", {"cyclosporine": "synonym"}),
        ("Entresto", {"valsartan": "brand", "sacubitril": "brand"}),
        ("Theo-24", {"theophylline": "brand"}),
    ],
)
def test_drugs_resolve_brand_to_generic(text: str, expected: dict[str, str]) -> None:
    resolved = {drug.ingredient: drug.via for drug in resolve_drug(text)}
    assert resolved == expected


def test_unknown_drugs_resolve_to_nothing_so_callers_can_report_them() -> None:
    assert resolve_drug("xyzzyvir 10 mg") == []
    assert resolve_drug("") == []


def test_food_groups_carry_their_evidence() -> None:
    [evidence] = food_groups_in("a glass of Ruby Red grapefruit juice")[:1]
    assert (evidence.group, evidence.matched_text) == ("grapefruit", "Ruby Red grapefruit")
    assert evidence.certainty == "contains"
    assert "Grapefruit and related citrus" in evidence.explain()


@pytest.mark.parametrize(
    ("text", "food"),
    [("a glass of water", False), ("500 ml tap water", False), ("", False), ("toast", True)],
)
def test_plain_water_is_not_food(text: str, food: bool) -> None:
    assert is_food(text) is food


def test_mineral_water_counts_as_food_for_bisphosphonates() -> None:
    assert {h.rule_id for h in interaction_rules_for(["mineral water"], ["alendronate"])} == {
        "food-bisphosphonates"
    }


def test_rxnorm_ingredient_codes_resolve_where_recorded() -> None:
    assert ingredient_for_rxnorm("11289") == "warfarin"
    assert ingredient_for_rxnorm(" 36567 ") == "simvastatin"
    assert ingredient_for_rxnorm("29046") is None  # lisinopril: CUI deliberately not recorded


@pytest.mark.parametrize(
    ("text", "ingredient"),
    [
        ("Warfarin Sodium 5 MG Oral Tablet", "warfarin"),
        ("Levothyroxine Sodium 0.05 MG Oral Tablet", "levothyroxine"),
        ("24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet", "metformin"),
        ("Doxycycline Hyclate 100 MG Oral Capsule", "doxycycline"),
    ],
)
def test_rxnorm_display_names_resolve(text: str, ingredient: str) -> None:
    assert [drug.ingredient for drug in resolve_drug(text)] == [ingredient]
