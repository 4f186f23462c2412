"""Resolving drug text (generic, brand, class, with doses) to ingredients and classes."""

from __future__ import annotations

from dataclasses import dataclass

from terminology.interactions.knowledge import DrugVia, KnowledgeBase, knowledge_base
from terminology.textmatch import CERTAINTY_RANK, Certainty


@dataclass(frozen=True)
class ResolvedDrug:
    """One ingredient that a drug text names, and how it was recognised."""

    input: str
    ingredient: str
    matched_text: str
    via: DrugVia
    classes: tuple[str, ...]
    rxnorm: str
    certainty: Certainty
    named_class: str = ""

    def explain(self) -> str:
        """'Coumadin' -> warfarin (brand)."""
        how = f"class {self.named_class}" if self.named_class else self.via
        return f"'{self.matched_text}' -> {self.ingredient} ({how})"


def resolve_drug(text: str, kb: KnowledgeBase | None = None) -> list[ResolvedDrug]:
    """Ingredients named in ``text`` ('Lipitor 20 mg', 'simvastatin', 'a statin').

    A brand resolves to each of its ingredients (Percocet: oxycodone and acetaminophen). A class
    name resolves to every member with certainty ``possible``, since the member is unknown.
    An empty list means the drug was not recognised: callers must report it, not skip it.
    """
    kb = kb or knowledge_base()
    found: dict[str, ResolvedDrug] = {}
    for match in kb.drug_index.find(text):
        payload = match.payload
        if payload.via == "class":
            members = sorted(kb.class_members[payload.name])
            resolved = [_resolved(kb, text, m, match.text, "class", payload.name) for m in members]
        else:
            resolved = [_resolved(kb, text, payload.name, match.text, payload.via, "")]
        for drug in resolved:
            kept = found.get(drug.ingredient)
            if kept is None or CERTAINTY_RANK[drug.certainty] > CERTAINTY_RANK[kept.certainty]:
                found[drug.ingredient] = drug
    return list(found.values())


def ingredient_for_rxnorm(code: str, kb: KnowledgeBase | None = None) -> str | None:
    """The ingredient whose RxNorm ingredient CUI is ``code`` (None when not recorded)."""
    return (kb or knowledge_base()).by_rxnorm.get(code.strip())


def _resolved(
    kb: KnowledgeBase, text: str, ingredient: str, matched: str, via: DrugVia, named_class: str
) -> ResolvedDrug:
    return ResolvedDrug(
        input=text,
        ingredient=ingredient,
        matched_text=matched,
        via=via,
        classes=kb.classes_of.get(ingredient, ()),
        rxnorm=kb.ingredients[ingredient].rxnorm,
        certainty="possible" if named_class else "contains",
        named_class=named_class,
    )
