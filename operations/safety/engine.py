"""The safety check itself: foods against medications and allergies, with evidence.

Pure: no storage, no HTTP. Every input is resolved (food -> ingredients and interaction food
groups; drug -> ingredient -> classes; allergy -> allergen or drug), every rule and allergen
that applies becomes a ``Finding`` whose ``cause`` identifies it across re-checks, and every
input that could not be resolved is listed as unrecognised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from operations.safety.adjust import by_amount, by_dose, by_timing
from operations.safety.findings import (
    cross_finding,
    drug_allergy_finding,
    drug_food_finding,
    food_allergy_finding,
    merge,
)
from operations.safety.foods import Reading, read_food
from operations.safety.model import (
    SEVERITY_RANK,
    AllergyInput,
    CheckResult,
    Confidence,
    Finding,
    FoodInput,
    MedicationInput,
    Severity,
    Unrecognised,
)
from terminology.allergens.cross_reactivity import cross_reactions_in, cross_reactive
from terminology.allergens.matcher import allergy_ids
from terminology.allergens.vocabulary import vocabulary
from terminology.interactions.foods import FoodEvidence
from terminology.interactions.knowledge import knowledge_base
from terminology.interactions.models import Severity as RuleSeverity
from terminology.medications import MedicationMatch, code_match, find_medications

SNOMED = "http://snomed.info/sct"
RULE_SEVERITY: dict[RuleSeverity, Severity] = {
    "contraindicated": "high",
    "major": "high",
    "moderate": "moderate",
    "minor": "low",
}


@dataclass(frozen=True)
class ResolvedAllergy:
    """An allergy with the allergens (vocabulary ids) or drugs it concerns."""

    allergy: AllergyInput
    allergens: tuple[str, ...]
    drugs: tuple[MedicationMatch, ...]
    cross_queries: tuple[str, ...] = ()
    """What to look up cross-reactions with: the allergens, or the allergy's own words when
    they name a cross-reactivity source that is not a food allergen (latex, birch pollen)."""


def run_check(
    foods: Sequence[FoodInput],
    medications: Sequence[MedicationInput],
    allergies: Sequence[AllergyInput],
) -> CheckResult:
    """Every finding for these foods, medications and allergies, most severe first."""
    readings = [(food, read_food(food.text)) for food in foods]
    drugs = [(m, list(_resolved_medication(m))) for m in medications]
    resolved = [resolve_allergy(a) for a in allergies]
    findings: list[Finding | None] = [
        *_drug_food(readings, drugs),
        *_food_allergy(readings, resolved),
    ]
    findings += [*_cross(readings, resolved), *_drug_allergy(drugs, resolved)]
    result = CheckResult(
        findings=sorted(merge(findings), key=lambda f: (-SEVERITY_RANK[f.severity], f.cause)),
        checked={"food": len(foods), "medication": len(medications), "allergy": len(allergies)},
    )
    result.unrecognised += [_unrecognised_food(f, r) for f, r in readings if _partly_unknown(r)]
    result.unrecognised += [Unrecognised("medication", m.text) for m, found in drugs if not found]
    result.unrecognised += [
        Unrecognised("allergy", r.allergy.text)
        for r in resolved
        if not (r.allergens or r.drugs or r.cross_queries)
    ]
    return result


@lru_cache(maxsize=4096)  # a patient's medications are checked again with every meal
def _resolved_medication(medication: MedicationInput) -> tuple[MedicationMatch, ...]:
    return tuple(resolve_medication(medication))


def _partly_unknown(reading: Reading) -> bool:
    return not reading.recognised or bool(reading.unknown_words)


def _unrecognised_food(food: FoodInput, reading: Reading) -> Unrecognised:
    """The food, and which of its words were not recognised when others were."""
    if not reading.recognised or not reading.unknown_words:
        return Unrecognised("food", food.text)
    words = ", ".join(reading.unknown_words)
    return Unrecognised("food", f"{food.text} (words not recognised: {words})")


def resolve_medication(medication: MedicationInput) -> list[MedicationMatch]:
    """Ingredients of a medication by its codes (RxNorm, ATC) and its words."""
    found: dict[str, MedicationMatch] = {}
    for system, code, _ in medication.codings:
        match = code_match(system, code)
        if match is not None:
            found.setdefault(match.ingredient, match)
    texts = [medication.text, *(display for _, _, display in medication.codings if display)]
    for text in dict.fromkeys(t for t in texts if t):
        for match in find_medications(text):
            kept = found.get(match.ingredient)
            if kept is None or (kept.confidence == "low" and match.confidence == "high"):
                found[match.ingredient] = match
    return list(found.values())


@lru_cache(maxsize=4096)
def resolve_allergy(allergy: AllergyInput) -> ResolvedAllergy:
    """The allergens (by SNOMED CT code, name or words) or else the drugs an allergy names."""
    # A recognised code is the most precise statement; words are read only without one
    # (the display 'Nut (substance)' would otherwise add a possible peanut allergy).
    ids = [
        i for system, code, _ in allergy.codings if system == SNOMED for i in allergy_ids("", code)
    ]
    if not ids:
        for text in (allergy.text, *(display for _, _, display in allergy.codings)):
            ids += allergy_ids(text) if text else []
    if ids:
        unique = tuple(dict.fromkeys(ids))
        return ResolvedAllergy(allergy, unique, (), unique)
    if allergy.text and cross_reactive(allergy.text):
        return ResolvedAllergy(allergy, (), (), (allergy.text,))
    drugs = resolve_medication(MedicationInput(allergy.text, allergy.codings))
    return ResolvedAllergy(allergy, (), tuple(drugs))


def _drug_food(
    readings: list[tuple[FoodInput, Reading]],
    drugs: list[tuple[MedicationInput, list[MedicationMatch]]],
) -> list[Finding]:
    kb = knowledge_base()
    by_group: dict[str, list[tuple[FoodInput, FoodEvidence, Confidence, str]]] = {}
    for food, reading in readings:
        for evidence, confidence, note in reading.groups:
            by_group.setdefault(evidence.group, []).append((food, evidence, confidence, note))
    ingredients = {match.ingredient for _, matches in drugs for match in matches}
    out: list[Finding] = []
    for rule in kb.rules:
        rule_drugs = kb.rule_drugs[rule.id]
        if rule.review.status == "retired" or not ingredients & rule_drugs:
            continue
        food_hits = [hit for group in rule.food_groups for hit in by_group.get(group, [])]
        if not food_hits:
            continue
        for medication, matches in drugs:
            for match in matches:
                if match.ingredient in rule_drugs:
                    severity = RULE_SEVERITY[rule.severity]
                    foods = tuple(dict.fromkeys(f for f, _, _, _ in food_hits))
                    severity, amount_note = by_amount(rule.id, severity, foods)
                    severity, dose_note = by_dose(rule.id, severity, medication)
                    severity, timing_note = by_timing(rule.id, severity, foods, (medication,))
                    note = amount_note or dose_note or timing_note
                    out.append(
                        drug_food_finding(rule, severity, medication, match, food_hits, note)
                    )
    return out


def _food_allergy(
    readings: list[tuple[FoodInput, Reading]], allergies: list[ResolvedAllergy]
) -> list[Finding]:
    vocab = vocabulary()
    out: list[Finding] = []
    for resolved in allergies:
        for allergen in resolved.allergens:
            hits = [
                (food, hit, confidence, note)
                for food, reading in readings
                for hit, confidence, note in reading.allergens
                if vocab.related(allergen, hit.allergen)
            ]
            if hits:
                out.append(food_allergy_finding(resolved.allergy, allergen, hits))
    return out


def _cross(
    readings: list[tuple[FoodInput, Reading]], allergies: list[ResolvedAllergy]
) -> list[Finding]:
    out: list[Finding] = []
    for resolved in allergies:
        for allergen in resolved.cross_queries:
            for food, reading in readings:
                texts: list[tuple[str, Confidence, str]] = [(food.text, "high", "")]
                texts += [(t, "low", reading.correction_note) for t in reading.corrected]
                for text, confidence, note in texts:
                    hits = [h for h, c, _ in reading.allergens if c == "high"]
                    known = hits if text == food.text else None
                    for hit in cross_reactions_in(allergen, text, known):
                        out.append(cross_finding(resolved.allergy, food, hit, confidence, note))
    return out


def _drug_allergy(
    drugs: list[tuple[MedicationInput, list[MedicationMatch]]], allergies: list[ResolvedAllergy]
) -> list[Finding | None]:
    return [
        drug_allergy_finding(resolved.allergy, target, medication, match)
        for resolved in allergies
        for target in resolved.drugs
        for medication, matches in drugs
        for match in matches
    ]
