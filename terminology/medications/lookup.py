"""Finding medications by name (generic, brand, class; typos within edit distance 2) or code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from terminology.interactions.knowledge import DrugVia
from terminology.medications.knowledge import MedicationKnowledge, medication_knowledge
from terminology.textmatch.fuzzy import corrected_texts

RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC_SYSTEM = "http://www.whocc.no/atc"
Confidence = Literal["high", "low"]


@dataclass(frozen=True)
class MedicationMatch:
    """An ingredient a drug text or code names, how it was found and how sure that is.

    ``confidence`` is ``low`` when the name was only found after correcting a typo, or when
    a class name stands for each of its members; ``note`` says which.
    """

    ingredient: str
    matched_text: str
    via: DrugVia | Literal["rxnorm", "atc"]
    classes: tuple[str, ...]
    confidence: Confidence
    named_class: str = ""
    note: str = ""

    def explain(self) -> str:
        """'Lipitor' -> atorvastatin (brand)."""
        how = f"class {self.named_class}" if self.named_class else self.via
        note = f"; {self.note}" if self.note else ""
        return f"'{self.matched_text}' -> {self.ingredient} ({how}{note})"


def find_medications(text: str, kb: MedicationKnowledge | None = None) -> list[MedicationMatch]:
    """Every ingredient ``text`` names; spelling-corrected matches come back with ``low``
    confidence, and only when the text as written named nothing more."""
    kb = kb or medication_knowledge()
    exact = _matches(kb, text, "")
    groups = kb.spelling.corrections(text)
    found = {m.ingredient: m for m in exact}
    for corrected in corrected_texts(text, groups):
        note = "spelling corrected: " + ", ".join(
            f"'{c[0].original}' read as '{'/'.join(x.surface for x in c)}'" for c in groups
        )
        for match in _matches(kb, corrected, note):
            found.setdefault(match.ingredient, match)
    return list(found.values())


def medication_by_code(system: str, code: str, kb: MedicationKnowledge | None = None) -> str | None:
    """The ingredient with RxNorm CUI or ATC code ``code`` (None when not recorded)."""
    kb = kb or medication_knowledge()
    if system == RXNORM_SYSTEM:
        return kb.by_rxnorm.get(code.strip())
    if system.rstrip("/") == ATC_SYSTEM:
        return kb.by_atc.get(code.strip().upper())
    return None


def code_match(
    system: str, code: str, kb: MedicationKnowledge | None = None
) -> MedicationMatch | None:
    """A ``MedicationMatch`` for a coded drug, or None when the code is not known."""
    kb = kb or medication_knowledge()
    name = medication_by_code(system, code, kb)
    if name is None:
        return None
    via: Literal["rxnorm", "atc"] = "rxnorm" if system == RXNORM_SYSTEM else "atc"
    return MedicationMatch(name, code, via, kb.classes_of(name), "high")


def _matches(kb: MedicationKnowledge, text: str, note: str) -> list[MedicationMatch]:
    confidence: Confidence = "low" if note else "high"
    out: list[MedicationMatch] = []
    for match in kb.index.find(text):
        payload = match.payload
        if payload.via != "class":
            out.append(
                MedicationMatch(
                    payload.name,
                    match.text,
                    payload.via,
                    kb.classes_of(payload.name),
                    confidence,
                    note=note,
                )
            )
            continue
        class_note = "; ".join(filter(None, [note, "a class name: each member is assumed"]))
        for member in sorted(kb.class_members.get(payload.name, ())):
            out.append(
                MedicationMatch(
                    member,
                    match.text,
                    "class",
                    kb.classes_of(member),
                    "low",
                    payload.name,
                    class_note,
                )
            )
    return out
