"""Schema of ``medications.json``: ingredients and classes added to the interaction drug table."""

from __future__ import annotations

import re
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

ATC = r"^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class AddedClass(_Strict):
    """A drug class that the interaction table does not have, with its ATC group if known."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=3)
    atc: str = Field(default="", pattern=r"^$|" + ATC)
    synonyms: list[str] = Field(default_factory=list)


class AddedIngredient(_Strict):
    """An ingredient with brands, synonyms, classes, RxNorm CUI and ATC codes."""

    name: str = Field(min_length=2)
    rxnorm: str = Field(default="", pattern=r"^([0-9]{1,8})?$")
    atc: list[str] = Field(default_factory=list)
    brands: list[str] = Field(default_factory=list)
    synonyms: list[str] = Field(default_factory=list)
    classes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _codes(self) -> Self:
        for code in self.atc:
            if len(code) != 7 or not _is_atc(code):
                raise ValueError(f"{self.name}: {code!r} is not a 7-character ATC code")
        return self


class ExistingExtra(_Strict):
    """ATC codes and extra (combination) brands of an ingredient of the interaction table."""

    atc: list[str] = Field(default_factory=list)
    brands: list[str] = Field(default_factory=list)


class MedicationFile(_Strict):
    """``medications.json``."""

    version: str
    rxnorm_policy: str = Field(min_length=20)
    atc_policy: str = Field(min_length=20)
    brand_source: str = Field(min_length=20)
    classes: list[AddedClass]
    ingredients: list[AddedIngredient] = Field(min_length=1)
    existing: dict[str, ExistingExtra]
    dose_words: list[str] = Field(default_factory=list)
    """Words of dose and form text (daily, tablet, spray): known, so never 'corrected' into a
    drug name, and not themselves drugs."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [ingredient.name for ingredient in self.ingredients]
        ids = [added.id for added in self.classes]
        if len(names) != len(set(names)) or len(ids) != len(set(ids)):
            raise ValueError("duplicate ingredient names or class ids")
        return self


def _is_atc(code: str) -> bool:
    return re.fullmatch(ATC, code) is not None
