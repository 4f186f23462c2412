"""The safety knowledge bases in one place: allergens, cross-reactivity, food-drug rules.

``allergens_in(text)`` finds allergens in free food text; ``cross_reactive(x)`` lists foods
that cross-react with an allergen or food; ``interaction_rules_for(foods, drugs)`` finds the
food-drug rules that apply, resolving brand -> generic -> class. Every result carries its
evidence (matched words, rule or list) and citation. ``export_rules_csv``/``import_rules_csv``
serve the pharmacist review workflow; ``clinical_use_definition`` renders a rule as FHIR.
Data sources and licences: ``terminology/SOURCES.md``.
"""

from terminology.allergens.cross_reactivity import (
    CrossReaction,
    CrossReactionHit,
    cross_pairs,
    cross_reactions_in,
    cross_reactive,
)
from terminology.allergens.matcher import (
    AllergenHit,
    allergen_ids,
    allergens_in,
    allergy_ids,
    matches_allergy,
)
from terminology.allergens.vocabulary import Vocabulary, vocabulary
from terminology.interactions.drugs import ResolvedDrug, ingredient_for_rxnorm, resolve_drug
from terminology.interactions.fhir import clinical_use_definition
from terminology.interactions.foods import FoodEvidence, food_groups_in, is_food
from terminology.interactions.knowledge import KnowledgeBase, knowledge_base
from terminology.interactions.models import InteractionRule
from terminology.interactions.resolver import RuleHit, interaction_rules_for
from terminology.interactions.review_csv import (
    CsvProblem,
    RuleCsvError,
    export_rules_csv,
    import_rules_csv,
    save_rules_json,
)

__all__ = [
    "AllergenHit",
    "CrossReaction",
    "CrossReactionHit",
    "CsvProblem",
    "FoodEvidence",
    "InteractionRule",
    "KnowledgeBase",
    "ResolvedDrug",
    "RuleCsvError",
    "RuleHit",
    "Vocabulary",
    "allergen_ids",
    "allergens_in",
    "allergy_ids",
    "clinical_use_definition",
    "cross_pairs",
    "cross_reactions_in",
    "cross_reactive",
    "export_rules_csv",
    "food_groups_in",
    "import_rules_csv",
    "ingredient_for_rxnorm",
    "interaction_rules_for",
    "is_food",
    "knowledge_base",
    "matches_allergy",
    "resolve_drug",
    "save_rules_json",
    "vocabulary",
]
