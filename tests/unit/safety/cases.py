"""The safety case set (``tests/fixtures/safety/cases.json``) and its free-text variants."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from operations.safety.engine import run_check
from operations.safety.model import AllergyInput, FoodInput, MedicationInput
from terminology.medications import medication_knowledge

CASES = Path(__file__).parents[2] / "fixtures" / "safety" / "cases.json"


@dataclass(frozen=True)
class Case:
    """One case: inputs, the expected rule and severity (None for a negative), its source."""

    id: str
    foods: tuple[str, ...]
    medications: tuple[str, ...]
    allergies: tuple[str, ...]
    rule: str | None
    severity: str | None
    source: str
    dish: str | None

    def found(self) -> dict[str, str]:
        """Rule -> severity of every finding for this case's inputs."""
        result = run_check(
            [FoodInput(t) for t in self.foods],
            [MedicationInput(t) for t in self.medications],
            [AllergyInput(t) for t in self.allergies],
        )
        return {finding.rule: finding.severity for finding in result.findings}


def load() -> tuple[dict[str, str], list[Case]]:
    """The sources table and the cases."""
    document: dict[str, Any] = json.loads(CASES.read_text(encoding="utf-8"))
    cases = [
        Case(
            c["id"],
            tuple(c["foods"]),
            tuple(c["medications"]),
            tuple(c["allergies"]),
            (c["expect"] or {}).get("rule"),
            (c["expect"] or {}).get("severity"),
            c["source"],
            c.get("dish"),
        )
        for c in document["cases"]
    ]
    return document["sources"], cases


def typo(word: str) -> str:
    """A deterministic misspelling within edit distance 2 of a word of 5+ letters: two
    adjacent letters in the middle swapped (one transposition); shorter words unchanged."""
    if len(word) < 5 or not word.isalpha():
        return word
    middle = len(word) // 2
    if word[middle - 1] == word[middle]:
        return word[:middle] + word[middle + 1 :]  # a doubled letter dropped: one deletion
    return word[: middle - 1] + word[middle] + word[middle - 1] + word[middle + 1 :]


def misspelt(text: str) -> str:
    """``text`` with its longest word misspelt."""
    words = text.split(" ")
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    words[longest] = typo(words[longest])
    return " ".join(words)


def plural(text: str) -> str:
    """``text`` with its last word in a regular plural form."""
    head, _, last = text.rpartition(" ")
    if last.endswith("s") or not last.isalpha():
        return text
    last = last[:-1] + "ies" if last.endswith("y") and last[-2:-1] not in "aeiou" else last + "s"
    return f"{head} {last}".strip()


def brand(ingredient: str) -> str | None:
    """A brand that contains only ``ingredient`` (None when the table has none)."""
    knowledge = medication_knowledge()
    medication = knowledge.medications.get(ingredient)
    if medication is None:
        return None
    for name in medication.brands:
        owners = [m for m in knowledge.medications.values() if name in m.brands]
        if len(owners) == 1:
            return name
    return None


def variants(case: Case) -> dict[str, Case]:
    """The free-text variants of a positive case: brand, plural, typo (food and drug), dish."""
    out: dict[str, Case] = {}
    if case.medications:
        names = [brand(m) for m in case.medications]
        if all(names):
            out["brand"] = _with(case, medications=tuple(n for n in names if n))
        out["drug typo"] = _with(case, medications=tuple(misspelt(m) for m in case.medications))
    if case.foods:
        out["plural"] = _with(case, foods=tuple(plural(f) for f in case.foods))
        out["food typo"] = _with(case, foods=tuple(misspelt(f) for f in case.foods))
    if case.dish:
        out["dish"] = _with(case, foods=(case.dish,))
    return out


def _with(case: Case, **changes: tuple[str, ...]) -> Case:
    fields = {**case.__dict__, **changes}
    return Case(**fields)
