"""The interaction knowledge base: drugs, classes, food groups and rules, cross-checked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from terminology.interactions.loader import load_data
from terminology.interactions.models import (
    DrugFile,
    FoodGroup,
    FoodGroupFile,
    FoodTerm,
    Ingredient,
    InteractionRule,
    RuleFile,
)
from terminology.textmatch import TermIndex

DrugVia = Literal["generic", "brand", "synonym", "class"]


@dataclass(frozen=True)
class DrugPayload:
    """What a matched drug term names: an ingredient (by generic, brand, synonym) or a class."""

    name: str
    via: DrugVia


class KnowledgeBase:
    """Drugs, classes, food groups and rules with their indexes; raises on broken references."""

    def __init__(self, drugs: DrugFile, groups: FoodGroupFile, rules: Sequence[InteractionRule]):
        self.drug_file = drugs
        self.ingredients: dict[str, Ingredient] = {i.name: i for i in drugs.ingredients}
        self.by_rxnorm = {i.rxnorm: i.name for i in drugs.ingredients if i.rxnorm}
        self.class_names = {drug_class.id: drug_class.name for drug_class in drugs.classes}
        self.class_members = _expand_classes(drugs)
        self.classes_of = _classes_of(self.class_members)
        self.drug_index = _drug_index(drugs)
        self.food_groups: dict[str, FoodGroup] = {g.id: g for g in groups.food_groups}
        self.food_indexes = {g.id: _food_index(g) for g in groups.food_groups}
        self.rules: tuple[InteractionRule, ...] = tuple(rules)
        self.rule_drugs = {rule.id: self._rule_drugs(rule) for rule in self.rules}
        self._check_rules()

    def with_rules(self, rules: Sequence[InteractionRule]) -> KnowledgeBase:
        """The same drugs and foods with another rule table (validates its references)."""
        groups = FoodGroupFile(version="import", food_groups=list(self.food_groups.values()))
        return KnowledgeBase(self.drug_file, groups, rules)

    def rule_problems(self, rule: InteractionRule) -> list[tuple[str, str]]:
        """(field, message) for every reference of ``rule`` that the tables do not know."""
        problems = [
            ("food_groups", f"unknown food group {group!r}")
            for group in rule.food_groups
            if group not in self.food_groups
        ]
        problems += [
            ("drug_ingredients", f"unknown ingredient {name!r}")
            for name in rule.drug_ingredients
            if name not in self.ingredients
        ]
        problems += [
            ("drug_classes", f"unknown drug class {class_id!r}")
            for class_id in rule.drug_classes
            if class_id not in self.class_members
        ]
        return problems

    def _rule_drugs(self, rule: InteractionRule) -> frozenset[str]:
        members = {m for c in rule.drug_classes for m in self.class_members.get(c, ())}
        return frozenset(members | set(rule.drug_ingredients))

    def _check_rules(self) -> None:
        ids = [rule.id for rule in self.rules]
        duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
        if duplicates:
            raise ValueError(f"duplicate rule ids: {duplicates}")
        for rule in self.rules:
            problems = self.rule_problems(rule)
            if problems:
                raise ValueError(f"rule {rule.id}: {'; '.join(m for _, m in problems)}")


def _expand_classes(drugs: DrugFile) -> dict[str, frozenset[str]]:
    by_id = {drug_class.id: drug_class for drug_class in drugs.classes}

    def members(class_id: str, seen: tuple[str, ...]) -> frozenset[str]:
        if class_id in seen:
            raise ValueError(f"drug class {class_id} includes itself")
        drug_class = by_id[class_id]
        nested = [members(inner, (*seen, class_id)) for inner in drug_class.includes]
        return frozenset(drug_class.members).union(*nested)

    return {class_id: members(class_id, ()) for class_id in by_id}


def _classes_of(class_members: dict[str, frozenset[str]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for class_id, members in class_members.items():
        for member in sorted(members):
            out[member] = (*out.get(member, ()), class_id)
    return out


def _drug_index(drugs: DrugFile) -> TermIndex[DrugPayload]:
    index: TermIndex[DrugPayload] = TermIndex()
    for ingredient in drugs.ingredients:
        index.add(ingredient.name, DrugPayload(ingredient.name, "generic"))
        for brand in ingredient.brands:
            index.add(brand, DrugPayload(ingredient.name, "brand"))
        for synonym in ingredient.synonyms:
            index.add(synonym, DrugPayload(ingredient.name, "synonym"))
    for drug_class in drugs.classes:
        for name in (drug_class.id.replace("_", " "), drug_class.name, *drug_class.synonyms):
            index.add(name, DrugPayload(drug_class.id, "class"))
    return index


def _food_index(group: FoodGroup) -> TermIndex[FoodTerm]:
    index: TermIndex[FoodTerm] = TermIndex()
    for spec in group.specs():
        index.add(spec.term, spec)
    for block in group.blocks:
        index.add(block, None)
    return index


@cache
def knowledge_base() -> KnowledgeBase:
    """The shipped knowledge base, loaded and validated once."""
    return KnowledgeBase(
        load_data("drugs.json", DrugFile),
        load_data("food_groups.json", FoodGroupFile),
        load_data("rules.json", RuleFile).rules,
    )
