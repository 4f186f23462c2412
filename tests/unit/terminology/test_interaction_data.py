"""The shipped interaction tables: rules, food groups, drugs and classes."""

from __future__ import annotations

import re

import pytest

from terminology.interactions.knowledge import KnowledgeBase, knowledge_base
from terminology.interactions.loader import load_data
from terminology.interactions.models import (
    DrugFile,
    FoodGroupFile,
    InteractionRule,
    RuleFile,
)

RULES = load_data("rules.json", RuleFile).rules

REQUIRED_CLASSES = {
    "statins",
    "maois",
    "vitamin_k_antagonists",
    "tetracyclines",
    "fluoroquinolones",
    "ace_inhibitors",
    "arbs",
    "potassium_sparing_diuretics",
    "calcineurin_inhibitors",
    "calcium_channel_blockers",
    "thyroid_hormones",
    "bisphosphonates",
    "benzodiazepines",
    "opioids",
    "nitroimidazoles",
}
BRANDS = {
    "Zocor": "simvastatin",
    "Lipitor": "atorvastatin",
    "Coumadin": "warfarin",
    "Jantoven": "warfarin",
    "Synthroid": "levothyroxine",
    "Levoxyl": "levothyroxine",
    "Cipro": "ciprofloxacin",
    "Nardil": "phenelzine",
    "Zyvox": "linezolid",
    "Flagyl": "metronidazole",
    "Prograf": "tacrolimus",
    "Neoral": "cyclosporine",
    "Sandimmune": "cyclosporine",
    "Fosamax": "alendronate",
    "Aldactone": "spironolactone",
    "Lanoxin": "digoxin",
}
# A rule must exist for each (food group, drug) pair the issue names.
REQUIRED_COVERAGE = [
    ("grapefruit", ["simvastatin", "lovastatin", "atorvastatin", "felodipine", "nifedipine"]),
    ("grapefruit", ["amlodipine", "cyclosporine", "tacrolimus", "buspirone", "sildenafil"]),
    ("tyramine", ["phenelzine", "tranylcypromine", "isocarboxazid", "selegiline", "rasagiline"]),
    ("tyramine", ["linezolid"]),
    ("vitamin_k", ["warfarin", "acenocoumarol"]),
    ("alcohol", ["metronidazole", "tinidazole", "disulfiram", "oxycodone", "alprazolam"]),
    ("alcohol", ["acetaminophen", "metformin", "glipizide"]),
    ("dairy_calcium", ["tetracycline", "doxycycline", "ciprofloxacin"]),
    ("mineral_supplements", ["doxycycline", "ciprofloxacin", "levofloxacin", "moxifloxacin"]),
    ("mineral_supplements", ["levothyroxine", "alendronate", "risedronate", "ibandronate"]),
    ("potassium_rich", ["lisinopril", "losartan", "spironolactone", "eplerenone", "amiloride"]),
    ("potassium_salt", ["triamterene", "trimethoprim", "lisinopril", "spironolactone"]),
    ("licorice", ["digoxin", "lisinopril", "hydrochlorothiazide", "furosemide", "warfarin"]),
    ("caffeine", ["theophylline", "ciprofloxacin", "enoxacin", "methylphenidate"]),
    ("any_food", ["nilotinib", "abiraterone", "lurasidone", "ziprasidone", "didanosine"]),
    ("high_fat_meal", ["isotretinoin", "efavirenz"]),
    ("st_johns_wort", ["cyclosporine", "sertraline", "ethinyl estradiol", "warfarin", "digoxin"]),
    ("protein_rich", ["levodopa"]),
    ("cranberry", ["warfarin"]),
]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return knowledge_base()


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_every_rule_is_cited_valid_and_a_draft(kb: KnowledgeBase, rule: InteractionRule) -> None:
    assert rule.citations
    assert all(len(citation) >= 30 for citation in rule.citations)
    assert InteractionRule.model_validate(rule.model_dump()) == rule
    assert kb.rule_problems(rule) == []
    assert rule.review.status == "draft"
    assert rule.review.reviewer == ""
    assert rule.review.review_date is None


def test_rule_ids_are_unique_and_fhir_ids() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids)) >= 60
    assert all(re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", rule_id) for rule_id in ids)


@pytest.mark.parametrize(("group", "drugs"), REQUIRED_COVERAGE)
def test_required_interactions_are_covered(kb: KnowledgeBase, group: str, drugs: list[str]) -> None:
    for drug in drugs:
        rules = [r for r in kb.rules if group in r.food_groups and drug in kb.rule_drugs[r.id]]
        assert rules, f"no rule for {group} with {drug}"


def test_severities_follow_the_labels(kb: KnowledgeBase) -> None:
    severity = {rule.id: rule.severity for rule in kb.rules}
    assert severity["tyramine-maois-nonselective"] == "contraindicated"
    assert severity["alcohol-disulfiram"] == "contraindicated"
    assert severity["grapefruit-simvastatin"] == "major"
    assert severity["grapefruit-amlodipine"] == "minor"
    assert severity["vitamin-k-vka"] == "moderate"
    assert severity["dairy-doxycycline-minocycline"] == "minor"


def test_food_group_and_class_tables_are_consistent() -> None:
    groups = load_data("food_groups.json", FoodGroupFile).food_groups
    assert len({g.id for g in groups}) == len(groups)
    drugs = load_data("drugs.json", DrugFile)
    assert {c.id for c in drugs.classes} >= REQUIRED_CLASSES
    used = {g for rule in RULES for g in rule.food_groups}
    assert used == {g.id for g in groups}


def test_grapefruit_group_names_the_related_citrus(kb: KnowledgeBase) -> None:
    index = kb.food_indexes["grapefruit"]
    for term in ("grapefruit juice", "seville orange", "pomelo", "tangelo", "pummelo"):
        assert term in index, term


@pytest.mark.parametrize(("brand", "generic"), sorted(BRANDS.items()))
def test_brands_map_to_their_generic(kb: KnowledgeBase, brand: str, generic: str) -> None:
    assert brand in kb.ingredients[generic].brands


def test_class_membership_is_expanded(kb: KnowledgeBase) -> None:
    assert kb.class_members["maois"] >= {"phenelzine", "selegiline", "rasagiline"}
    assert kb.class_members["cns_depressants"] >= {"alprazolam", "oxycodone", "zolpidem"}
    assert "atorvastatin" in kb.class_members["statins"]
    assert "warfarin" in kb.class_members["vitamin_k_antagonists"]
    assert "statins" in kb.classes_of["simvastatin"]


def test_rxnorm_cuis_are_numeric_and_distinct(kb: KnowledgeBase) -> None:
    cuis = {name: i.rxnorm for name, i in kb.ingredients.items() if i.rxnorm}
    assert len(cuis) >= 80
    assert len(set(cuis.values())) == len(cuis)
    assert (cuis["simvastatin"], cuis["warfarin"], cuis["metformin"]) == ("36567", "11289", "6809")
    # Left empty where the two sources disagreed: never guessed.
    assert kb.ingredients["lisinopril"].rxnorm == ""


def test_a_rule_referencing_an_unknown_food_group_is_refused(kb: KnowledgeBase) -> None:
    data = RULES[0].model_dump()
    data["food_groups"] = ["moon_cheese"]
    with pytest.raises(ValueError, match="unknown food group 'moon_cheese'"):
        kb.with_rules([InteractionRule.model_validate(data)])


def test_duplicate_rule_ids_are_refused(kb: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="duplicate rule ids"):
        kb.with_rules([RULES[0], RULES[0]])


def test_a_drug_class_including_itself_is_refused() -> None:
    data = load_data("drugs.json", DrugFile).model_dump()
    data["classes"].append({"id": "loop", "name": "loop class", "includes": ["loop"]})
    groups = load_data("food_groups.json", FoodGroupFile)
    with pytest.raises(ValueError, match="includes itself"):
        KnowledgeBase(DrugFile.model_validate(data), groups, RULES)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"citations": []}, "at least 1 item"),
        ({"drug_ingredients": [], "drug_classes": []}, "drug_ingredients or drug_classes"),
        ({"severity": "severe"}, "contraindicated"),
        ({"review": {"status": "reviewed", "reviewer": ""}}, "needs a reviewer"),
        ({"id": "Bad Id"}, "String should match pattern"),
    ],
)
def test_rule_schema_rejects_bad_rules(change: dict[str, object], message: str) -> None:
    data = {**RULES[0].model_dump(), **change}
    with pytest.raises(ValueError, match=message):
        InteractionRule.model_validate(data)
