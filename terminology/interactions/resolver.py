"""Which food-drug interaction rules apply to a set of foods and drugs, and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from terminology.interactions.drugs import ResolvedDrug, resolve_drug
from terminology.interactions.foods import FoodEvidence, food_groups_in
from terminology.interactions.knowledge import KnowledgeBase, knowledge_base
from terminology.interactions.models import (
    SEVERITY_RANK,
    Evidence,
    InteractionRule,
    ReviewStatus,
    Severity,
)
from terminology.textmatch import Certainty, strongest, weakest


@dataclass(frozen=True)
class RuleHit:
    """A rule that fires, with the foods and drugs that made it fire and its citations."""

    rule_id: str
    title: str
    severity: Severity
    certainty: Certainty
    effect: str
    mechanism: str
    management: str
    timing: str
    amount: str
    evidence: Evidence
    citations: tuple[str, ...]
    review_status: ReviewStatus
    foods: tuple[FoodEvidence, ...]
    drugs: tuple[ResolvedDrug, ...]

    def explain(self) -> str:
        """Rule, matched food and drug evidence, and the first citation, in one line."""
        foods = ", ".join(food.explain() for food in self.foods)
        drugs = ", ".join(drug.explain() for drug in self.drugs)
        return (
            f"[{self.rule_id}] {self.title} ({self.severity}, {self.certainty}): "
            f"{foods}; {drugs}. Source: {self.citations[0]}"
        )


def interaction_rules_for(
    foods: Sequence[str], drugs: Sequence[str], kb: KnowledgeBase | None = None
) -> list[RuleHit]:
    """Rules whose food groups and drugs both occur, most severe first.

    Drugs resolve brand -> generic -> class ('Coumadin' -> warfarin -> vitamin K
    antagonists). Retired rules never fire; draft and reviewed rules do (every shipped rule is
    a draft until a pharmacist reviews it, and missing an interaction is worse than showing an
    unreviewed one).
    """
    kb = kb or knowledge_base()
    food_evidence = [evidence for food in foods for evidence in food_groups_in(food, kb)]
    resolved = [drug for text in drugs for drug in resolve_drug(text, kb)]
    hits = []
    for rule in kb.rules:
        if rule.review.status == "retired":
            continue
        matched_foods = tuple(f for f in food_evidence if f.group in rule.food_groups)
        matched_drugs = tuple(d for d in resolved if d.ingredient in kb.rule_drugs[rule.id])
        if matched_foods and matched_drugs:
            hits.append(_hit(rule, matched_foods, matched_drugs))
    return sorted(hits, key=lambda hit: (-SEVERITY_RANK[hit.severity], hit.rule_id))


def _hit(
    rule: InteractionRule, foods: tuple[FoodEvidence, ...], drugs: tuple[ResolvedDrug, ...]
) -> RuleHit:
    food_certainty = strongest(food.certainty for food in foods)
    drug_certainty = strongest(drug.certainty for drug in drugs)
    return RuleHit(
        rule_id=rule.id,
        title=rule.title,
        severity=rule.severity,
        certainty=weakest([food_certainty, drug_certainty]),
        effect=rule.effect,
        mechanism=rule.mechanism,
        management=rule.management,
        timing=rule.timing,
        amount=rule.amount,
        evidence=rule.evidence,
        citations=tuple(rule.citations),
        review_status=rule.review.status,
        foods=foods,
        drugs=drugs,
    )
