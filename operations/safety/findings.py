"""Building findings in plain words, with evidence and sources, and merging duplicates."""

from __future__ import annotations

from collections.abc import Sequence

from operations.safety.model import (
    SEVERITY_RANK,
    AllergyInput,
    Confidence,
    Finding,
    FoodInput,
    MedicationInput,
    Severity,
)
from terminology.allergens.cross_reactivity import CrossReactionHit
from terminology.allergens.matcher import AllergenHit
from terminology.allergens.models import RiskLevel
from terminology.allergens.vocabulary import vocabulary
from terminology.interactions.foods import FoodEvidence
from terminology.interactions.models import InteractionRule
from terminology.medications import MedicationMatch, medication_knowledge

RISK_SEVERITY: dict[RiskLevel, Severity] = {"high": "high", "moderate": "moderate", "low": "low"}
# Umbrella classes say too little about allergy: sharing one is not a cross-sensitivity.
_BROAD_CLASSES = frozenset(
    {"antihypertensives", "cns_depressants", "serotonergic_antidepressants", "vitamins"}
)
FoodHit = tuple[FoodInput, FoodEvidence, Confidence, str]
AllergenFoodHit = tuple[FoodInput, AllergenHit, Confidence, str]


def _confidence(values: Sequence[Confidence]) -> Confidence:
    return "high" if "high" in values else "low"


def _both(first: Confidence, second: Confidence) -> Confidence:
    """Low when either reading it rests on is low (a typo, a class name for its members)."""
    return "low" if "low" in (first, second) else "high"


def _notes(notes: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(n for n in notes if n))


def drug_food_finding(
    rule: InteractionRule,
    severity: Severity,
    medication: MedicationInput,
    match: MedicationMatch,
    foods: Sequence[FoodHit],
    adjustment: str,
) -> Finding:
    """A food-drug rule that applies, worded for a patient."""
    food_words = ", ".join(dict.fromkeys(f.text for f, _, _, _ in foods))
    drug = medication.text or match.ingredient
    detail = f"{food_words} may interact with {drug} ({match.ingredient}). {rule.effect}"
    evidence = (
        f"Rule {rule.id}: {rule.title} "
        f"(rule severity {rule.severity}, review {rule.review.status})",
        *(evidence.explain() for _, evidence, _, _ in foods),
        f"Drug: {match.explain()}; classes: {', '.join(_class_names(match.classes)) or 'none'}",
        *_notes([adjustment, *(note for _, _, _, note in foods), match.note]),
    )
    mitigation = " ".join(filter(None, [rule.management, rule.timing, rule.amount]))
    confidence = _both(_confidence([c for _, _, c, _ in foods]), match.confidence)
    return Finding(
        kind="drug-food",
        severity=severity,
        confidence=confidence,
        cause=f"drug-food|{rule.id}|{match.ingredient}",
        rule=rule.id,
        title=rule.title,
        detail=detail,
        mitigation=mitigation,
        evidence=evidence,
        sources=tuple(rule.citations),
        foods=tuple(dict.fromkeys(f for f, _, _, _ in foods)),
        medications=(medication,),
    )


def food_allergy_finding(
    allergy: AllergyInput, allergen: str, hits: Sequence[AllergenFoodHit]
) -> Finding:
    """Foods that contain (or usually or may contain) an allergen the patient is allergic to."""
    name = vocabulary().allergen(allergen).name
    best = max(hits, key=lambda h: _certainty_rank(h[1].certainty))[1]
    severity: Severity = "moderate" if best.certainty == "possible" else "high"
    verb = {"contains": "contains", "likely": "usually contains", "possible": "may contain"}
    foods = dict.fromkeys(f.text for f, _, _, _ in hits)
    detail = (
        f"{', '.join(foods)} {verb[best.certainty]} {best.name.lower()}, and there is a "
        f"recorded allergy to {allergy.text or name}."
    )
    return Finding(
        kind="food-allergy",
        severity=severity,
        confidence=_confidence([c for _, _, c, _ in hits]),
        cause=f"food-allergy|{allergy.key()}|{allergen}",
        rule=f"allergen-{allergen}",
        title=f"{name} in food for a patient allergic to it",
        detail=detail,
        mitigation=(
            "Avoid this food. Read the ingredient list; if it was eaten and symptoms start, "
            "follow the allergy action plan (epinephrine if prescribed) and seek care."
        ),
        evidence=(
            f"Allergy: {allergy.text or name} -> {name}",
            *(hit.explain() for _, hit, _, _ in hits),
            *_notes([note for _, _, _, note in hits]),
        ),
        sources=tuple(dict.fromkeys(hit.citation for _, hit, _, _ in hits)),
        foods=tuple(dict.fromkeys(f for f, _, _, _ in hits)),
        allergies=(allergy,),
    )


def cross_finding(
    allergy: AllergyInput,
    food: FoodInput,
    hit: CrossReactionHit,
    confidence: Confidence,
    note: str,
) -> Finding:
    """A food that may cross-react with the patient's allergy."""
    reaction = hit.reaction
    rate = f" ({reaction.rate_text})" if reaction.rate_text else ""
    detail = (
        f"{food.text} ({reaction.to_label}) can cause a reaction in people allergic to "
        f"{reaction.from_label}{rate}; there is a recorded allergy to {allergy.text}."
    )
    return Finding(
        kind="cross-reactivity",
        severity=RISK_SEVERITY[reaction.risk],
        confidence=confidence,
        cause=f"cross-reactivity|{allergy.key()}|{reaction.pair_id}",
        rule=f"cross-{reaction.pair_id}",
        title=f"Possible cross-reaction: {reaction.from_label} and {reaction.to_label}",
        detail=detail,
        mitigation=(
            "Ask the allergist whether this food is safe before eating it; avoid it until then."
        ),
        evidence=(
            f"Cross-reactivity pair {reaction.pair_id}: risk {reaction.risk}; {reaction.basis}",
            f"Matched in food: {', '.join(hit.evidence)} ({hit.certainty})",
            *_notes([note, reaction.note]),
        ),
        sources=reaction.citations,
        foods=(food,),
        allergies=(allergy,),
    )


def drug_allergy_finding(
    allergy: AllergyInput,
    target: MedicationMatch,
    medication: MedicationInput,
    match: MedicationMatch,
) -> Finding | None:
    """A medication that is, or shares a specific class with, a drug the patient is allergic to."""
    shared = (set(match.classes) & set(target.classes)) - _BROAD_CLASSES
    same = match.ingredient == target.ingredient
    if not same and not shared:
        return None
    if target.named_class:
        allergy_class = _class_names([target.named_class])[0]
        why = f"belongs to {allergy_class}, the class named by"
    elif same:
        why = "is"
    else:
        why = f"belongs to the same class ({', '.join(_class_names(shared))}) as"
    return Finding(
        kind="drug-allergy",
        severity="high" if same else "moderate",
        confidence=_both(match.confidence, target.confidence),
        cause=f"drug-allergy|{allergy.key()}|{match.ingredient}",
        rule="drug-allergy-ingredient" if same else "drug-allergy-class",
        title=f"{match.ingredient} for a patient allergic to {allergy.text}",
        detail=(
            f"{medication.text or match.ingredient} ({match.ingredient}) {why} "
            f"{target.matched_text if target.named_class else target.ingredient}, and there is "
            f"a recorded allergy to {allergy.text}."
        ),
        mitigation="Check with the prescriber or pharmacist before taking this medicine.",
        evidence=(f"Allergy: {target.explain()}", f"Medication: {match.explain()}"),
        sources=("Drug classes: US prescribing information (DailyMed) and WHO ATC classification",),
        medications=(medication,),
        allergies=(allergy,),
    )


def merge(findings: Sequence[Finding | None]) -> list[Finding]:
    """One finding per cause: the most severe, with the foods, drugs and evidence of all."""
    by_cause: dict[str, Finding] = {}
    for finding in findings:
        if finding is None:
            continue
        kept = by_cause.get(finding.cause)
        if kept is None:
            by_cause[finding.cause] = finding
            continue
        first, second = (
            (finding, kept)
            if SEVERITY_RANK[finding.severity] > SEVERITY_RANK[kept.severity]
            else (kept, finding)
        )
        by_cause[finding.cause] = Finding(
            **{
                **first.__dict__,
                "confidence": _confidence([first.confidence, second.confidence]),
                "evidence": tuple(dict.fromkeys((*first.evidence, *second.evidence))),
                "foods": tuple(dict.fromkeys((*first.foods, *second.foods))),
                "medications": tuple(dict.fromkeys((*first.medications, *second.medications))),
                "allergies": tuple(dict.fromkeys((*first.allergies, *second.allergies))),
            }
        )
    return list(by_cause.values())


def _class_names(classes: Sequence[str] | set[str]) -> list[str]:
    names = medication_knowledge().class_names
    return [names.get(c, c) for c in sorted(classes)]


def _certainty_rank(certainty: str) -> int:
    return {"contains": 3, "likely": 2, "possible": 1}.get(certainty, 0)
