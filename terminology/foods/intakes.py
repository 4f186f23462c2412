"""Daily Reference Intakes for adults by age and sex, and nutrient targets for conditions
(hypertension, diabetes, chronic kidney disease) found through the ICD-10-CM hierarchy.

Data: ``data/reference_intakes.json``, validated by the models below when loaded; every value
cites a source (see ``terminology/SOURCES.md``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib.resources import files
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from terminology.icd10cm import code_system

Sex = Literal["male", "female", "any"]
Kind = Literal["RDA", "AI", "UL", "CDRR", "limit"]
Comparator = Literal["<", "<=", ">=", "range", "individualized"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """A cited source."""

    title: str = Field(min_length=3)
    citation: str = Field(min_length=10)
    licence: str


class AgeValue(_Strict):
    """The value for one sex and age band (years, ``age_max`` inclusive; None: no end)."""

    sex: Sex
    age_min: int = Field(ge=0)
    age_max: int | None = None
    value: float = Field(gt=0)

    def applies(self, sex: Sex, age: int) -> bool:
        """This band covers a person of ``sex`` and ``age``."""
        in_band = self.age_min <= age and (self.age_max is None or age <= self.age_max)
        return in_band and self.sex in ("any", sex)


class ReferenceIntake(_Strict):
    """One DRI kind for one nutrient, by band."""

    nutrient: str
    kind: Kind
    unit: str
    source: str
    values: tuple[AgeValue, ...] = Field(min_length=1)


class ConditionTarget(_Strict):
    """A nutrient target for people with a condition (an ICD-10-CM code or block)."""

    condition: str
    icd10cm: str
    nutrient: str
    comparator: Comparator
    value: float | None = None
    high: float | None = None
    unit: str
    source: str
    note: str = ""
    not_with: str | None = None
    """An ICD-10-CM code or block whose presence withdraws this target (the potassium goal
    for hypertension does not hold with chronic kidney disease)."""

    @model_validator(mode="after")
    def _has_numbers(self) -> Self:
        needs = {"range": 2, "individualized": 0}.get(self.comparator, 1)
        given = sum(v is not None for v in (self.value, self.high))
        if given != needs:
            raise ValueError(f"{self.comparator} takes {needs} number(s), not {given}")
        return self


class IntakeData(_Strict):
    """The whole file; every cited source must exist and every ICD-10-CM code be real."""

    sources: dict[str, Source]
    reference_intakes: tuple[ReferenceIntake, ...]
    condition_targets: tuple[ConditionTarget, ...]

    @model_validator(mode="after")
    def _references(self) -> Self:
        cited = [r.source for r in self.reference_intakes] + [
            t.source for t in self.condition_targets
        ]
        missing = set(cited) - set(self.sources)
        if missing:
            raise ValueError(f"unknown sources {sorted(missing)}")
        unknown = [
            t.icd10cm for t in self.condition_targets if code_system().get(t.icd10cm) is None
        ]
        if unknown:
            raise ValueError(f"unknown ICD-10-CM codes {unknown}")
        return self


@functools.cache
def intake_data() -> IntakeData:
    """The shipped data, validated."""
    text = files("terminology.foods").joinpath("data", "reference_intakes.json").read_text("utf-8")
    return IntakeData.model_validate_json(text)


def reference_intakes(
    sex: Literal["male", "female"], age: int
) -> dict[tuple[str, str], tuple[float, str, str]]:
    """(nutrient, kind) -> (value, unit, source) for an adult (19 and over; None below)."""
    found: dict[tuple[str, str], tuple[float, str, str]] = {}
    for intake in intake_data().reference_intakes:
        for band in intake.values:
            if band.applies(sex, age):
                found[(intake.nutrient, intake.kind)] = (band.value, intake.unit, intake.source)
    return found


def condition_targets(icd10cm_codes: Iterable[str]) -> list[ConditionTarget]:
    """The targets for the conditions these ICD-10-CM codes fall under (E11.9 -> diabetes)."""
    index = code_system()
    codes = [c for c in icd10cm_codes if index.get(c) is not None]
    return [
        target
        for target in intake_data().condition_targets
        if any(index.is_a(code, target.icd10cm) for code in codes)
        and not (target.not_with and any(index.is_a(code, target.not_with) for code in codes))
    ]
