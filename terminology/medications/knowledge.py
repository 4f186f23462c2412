"""The medication knowledge base: the interaction drug table plus ``medications.json``.

``terminology/interactions/data/drugs.json`` holds the ingredients and classes that the
food-drug rules name; ``data/medications.json`` adds the other commonly prescribed ingredients
(brands, classes, RxNorm CUIs, ATC codes) and ATC codes for the first table. Together they
recognise a drug by generic name, brand, synonym, class, RxNorm CUI or ATC code, so that a
drug without any food interaction is still known (and not reported as unrecognised).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from terminology.interactions.knowledge import DrugPayload, KnowledgeBase, knowledge_base
from terminology.medications.models import MedicationFile
from terminology.textmatch import TermIndex
from terminology.textmatch.fuzzy import SpellingIndex


@dataclass(frozen=True)
class Medication:
    """One ingredient: names, codes and every class it belongs to (nested classes included)."""

    name: str
    rxnorm: str
    atc: tuple[str, ...]
    brands: tuple[str, ...]
    synonyms: tuple[str, ...]
    classes: tuple[str, ...]


class MedicationKnowledge:
    """Ingredients and classes of both tables, with a term index and a spelling index."""

    def __init__(self, interactions: KnowledgeBase, added: MedicationFile) -> None:
        self.interactions = interactions
        self.file = added
        self.class_names = dict(interactions.class_names)
        self.class_names.update({c.id: c.name for c in added.classes})
        self.class_atc = {c.id: c.atc for c in added.classes if c.atc}
        self.medications = _merged(interactions, added)
        self.class_members = _members(self.medications)
        self.by_rxnorm = {m.rxnorm: m.name for m in self.medications.values() if m.rxnorm}
        self.by_atc = {code: m.name for m in self.medications.values() for code in m.atc}
        self.index = _index(self, added)
        self.spelling = SpellingIndex(_surfaces(self, added))

    def classes_of(self, ingredient: str) -> tuple[str, ...]:
        """Every class of ``ingredient`` (empty for an unknown one)."""
        medication = self.medications.get(ingredient)
        return medication.classes if medication else ()


def _merged(kb: KnowledgeBase, added: MedicationFile) -> dict[str, Medication]:
    known_classes = set(kb.class_names) | {c.id for c in added.classes}
    out: dict[str, Medication] = {}
    for ingredient in kb.drug_file.ingredients:
        extra = added.existing.get(ingredient.name)
        out[ingredient.name] = Medication(
            ingredient.name,
            ingredient.rxnorm,
            tuple(extra.atc) if extra else (),
            (*ingredient.brands, *(extra.brands if extra else ())),
            tuple(ingredient.synonyms),
            kb.classes_of.get(ingredient.name, ()),
        )
    for item in added.ingredients:
        if item.name in out:
            raise ValueError(f"{item.name} is in both drug tables")
        unknown = set(item.classes) - known_classes
        if unknown:
            raise ValueError(f"{item.name}: unknown classes {sorted(unknown)}")
        out[item.name] = Medication(
            item.name,
            item.rxnorm,
            tuple(item.atc),
            tuple(item.brands),
            tuple(item.synonyms),
            tuple(item.classes),
        )
    unknown_existing = set(added.existing) - set(out)
    if unknown_existing:
        raise ValueError(f"ATC codes for unknown ingredients {sorted(unknown_existing)}")
    return out


def _members(medications: dict[str, Medication]) -> dict[str, frozenset[str]]:
    members: dict[str, set[str]] = {}
    for medication in medications.values():
        for class_id in medication.classes:
            members.setdefault(class_id, set()).add(medication.name)
    return {class_id: frozenset(names) for class_id, names in members.items()}


def _index(knowledge: MedicationKnowledge, added: MedicationFile) -> TermIndex[DrugPayload]:
    index: TermIndex[DrugPayload] = TermIndex()
    for medication in knowledge.medications.values():
        index.add(medication.name, DrugPayload(medication.name, "generic"))
        for brand in medication.brands:
            index.add(brand, DrugPayload(medication.name, "brand"))
        for synonym in medication.synonyms:
            index.add(synonym, DrugPayload(medication.name, "synonym"))
    for drug_class in knowledge.interactions.drug_file.classes:
        for name in (drug_class.id.replace("_", " "), drug_class.name, *drug_class.synonyms):
            index.add(name, DrugPayload(drug_class.id, "class"))
    for added_class in added.classes:
        for name in (added_class.id.replace("_", " "), added_class.name, *added_class.synonyms):
            index.add(name, DrugPayload(added_class.id, "class"))
    return index


def _surfaces(knowledge: MedicationKnowledge, added: MedicationFile) -> list[str]:
    words = [m.name for m in knowledge.medications.values()]
    words += [b for m in knowledge.medications.values() for b in (*m.brands, *m.synonyms)]
    words += [c.name for c in knowledge.interactions.drug_file.classes]
    words += [s for c in knowledge.interactions.drug_file.classes for s in c.synonyms]
    words += [s for c in added.classes for s in c.synonyms]
    return words + list(added.dose_words)


@cache
def medication_knowledge() -> MedicationKnowledge:
    """The shipped medication knowledge base, loaded and validated once."""
    text = files("terminology.medications").joinpath("data", "medications.json").read_text("utf-8")
    return MedicationKnowledge(knowledge_base(), MedicationFile.model_validate_json(text))
