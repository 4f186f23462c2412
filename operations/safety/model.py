"""What a safety check works on (foods, medications, allergies) and what it finds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["high", "moderate", "low"]
Confidence = Literal["high", "low"]
FindingKind = Literal["drug-food", "food-allergy", "cross-reactivity", "drug-allergy"]
Coding = tuple[str, str, str]
"""(system, code, display)."""

SEVERITY_RANK: dict[Severity, int] = {"high": 3, "moderate": 2, "low": 1}


@dataclass(frozen=True)
class FoodInput:
    """A food or drink: its text (or coded display), amount and time of day if known."""

    text: str
    codings: tuple[Coding, ...] = ()
    volume_ml: float | None = None
    hour: float | None = None
    reference: str | None = None


@dataclass(frozen=True)
class MedicationInput:
    """A medication as named or coded, with dose text and time of day if known."""

    text: str
    codings: tuple[Coding, ...] = ()
    dose: str = ""
    hour: float | None = None
    reference: str | None = None


@dataclass(frozen=True)
class AllergyInput:
    """A recorded allergy or intolerance: substance text or codes, and its criticality."""

    text: str
    codings: tuple[Coding, ...] = ()
    criticality: str = ""
    reference: str | None = None

    def key(self) -> str:
        """What identifies this allergy in a finding's cause: its reference, else its words."""
        if self.reference:
            return self.reference
        codes = ",".join(sorted(f"{s}|{c}" for s, c, _ in self.codings))
        return f"{self.text.strip().lower()}#{codes}"


@dataclass(frozen=True)
class Finding:
    """One problem found: a food-drug interaction, an allergen, a cross-reaction, a drug
    allergy. ``cause`` identifies it for de-duplication across re-checks."""

    kind: FindingKind
    severity: Severity
    confidence: Confidence
    cause: str
    rule: str
    title: str
    detail: str
    mitigation: str
    evidence: tuple[str, ...]
    sources: tuple[str, ...]
    foods: tuple[FoodInput, ...] = ()
    medications: tuple[MedicationInput, ...] = ()
    allergies: tuple[AllergyInput, ...] = ()


@dataclass(frozen=True)
class Unrecognised:
    """An input the check could not recognise: reported, never skipped."""

    kind: Literal["food", "medication", "allergy"]
    text: str


@dataclass
class CheckResult:
    """Every finding (most severe first) and every unrecognised input."""

    findings: list[Finding] = field(default_factory=list)
    unrecognised: list[Unrecognised] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
