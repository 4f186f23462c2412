"""Schemas of the interaction data files: food groups, drugs and classes, and rules."""

from __future__ import annotations

import datetime as dt
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from terminology.textmatch import Certainty, normalise_term

Severity = Literal["contraindicated", "major", "moderate", "minor"]
ReviewStatus = Literal["draft", "reviewed", "retired"]
Evidence = Literal["label", "guideline", "clinical-study", "case-reports", "animal", "theoretical"]
FoodCategory = Literal["food", "beverage", "nutrient", "supplement", "meal"]
SEVERITY_RANK: dict[Severity, int] = {"contraindicated": 4, "major": 3, "moderate": 2, "minor": 1}
RULE_ID = r"^[a-z0-9][a-z0-9-]{2,63}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class FoodTerm(_Strict):
    """A food term with its own certainty or note."""

    term: str = Field(min_length=1)
    certainty: Certainty = "contains"
    note: str = ""

    @model_validator(mode="after")
    def _has_words(self) -> Self:
        if not normalise_term(self.term):
            raise ValueError(f"term {self.term!r} has no words")
        return self


class FoodGroup(_Strict):
    """Foods or nutrients that act alike in interactions (grapefruit, tyramine, vitamin K)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=3)
    category: FoodCategory
    description: str = Field(min_length=10)
    terms: list[str | FoodTerm] = Field(min_length=1)
    blocks: list[str] = Field(default_factory=list)
    matches_any_food: bool = False

    def specs(self) -> list[FoodTerm]:
        """Every term as a FoodTerm."""
        return [FoodTerm(term=t) if isinstance(t, str) else t for t in self.terms]


class FoodGroupFile(_Strict):
    """``food_groups.json``."""

    version: str
    food_groups: list[FoodGroup] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Self:
        ids = [group.id for group in self.food_groups]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate food group ids")
        return self


class Ingredient(_Strict):
    """A drug ingredient (generic name) with its RxNorm CUI where certain and its brands."""

    name: str = Field(min_length=2)
    rxnorm: str = Field(default="", pattern=r"^([0-9]{1,8})?$")
    brands: list[str] = Field(default_factory=list)
    synonyms: list[str] = Field(default_factory=list)


class DrugClass(_Strict):
    """A drug class: member ingredients plus the members of included classes."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=3)
    members: list[str] = Field(default_factory=list)
    includes: list[str] = Field(default_factory=list)
    synonyms: list[str] = Field(default_factory=list)


class DrugFile(_Strict):
    """``drugs.json``."""

    version: str
    rxnorm_policy: str
    brand_source: str
    ingredients: list[Ingredient] = Field(min_length=1)
    classes: list[DrugClass] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        names = [ingredient.name for ingredient in self.ingredients]
        class_ids = [drug_class.id for drug_class in self.classes]
        if len(names) != len(set(names)) or len(class_ids) != len(set(class_ids)):
            raise ValueError("duplicate ingredient names or class ids")
        for drug_class in self.classes:
            unknown = set(drug_class.members) - set(names)
            unknown |= set(drug_class.includes) - set(class_ids)
            if unknown:
                raise ValueError(f"class {drug_class.id}: unknown members {sorted(unknown)}")
        return self


class Review(_Strict):
    """Pharmacist review state of a rule."""

    status: ReviewStatus = "draft"
    reviewer: str = ""
    review_date: dt.date | None = None

    @model_validator(mode="after")
    def _signed(self) -> Self:
        if self.status != "draft" and (not self.reviewer or self.review_date is None):
            raise ValueError(f"a {self.status} rule needs a reviewer and a review date")
        return self


class InteractionRule(_Strict):
    """One food-drug interaction rule, shaped to render as a FHIR ClinicalUseDefinition."""

    id: str = Field(pattern=RULE_ID)
    title: str = Field(min_length=5)
    food_groups: list[str] = Field(min_length=1)
    drug_ingredients: list[str] = Field(default_factory=list)
    drug_classes: list[str] = Field(default_factory=list)
    severity: Severity
    effect: str = Field(min_length=5)
    mechanism: str = Field(min_length=5)
    management: str = Field(min_length=5)
    timing: str = ""
    amount: str = ""
    evidence: Evidence
    evidence_note: str = ""
    citations: list[str] = Field(min_length=1)
    review: Review = Field(default_factory=Review)

    @model_validator(mode="after")
    def _has_drugs(self) -> Self:
        if not self.drug_ingredients and not self.drug_classes:
            raise ValueError("a rule needs drug_ingredients or drug_classes")
        if any(len(citation) < 10 for citation in self.citations):
            raise ValueError("every citation must name its source")
        return self


class RuleFile(_Strict):
    """``rules.json``."""

    version: str
    rules: list[InteractionRule] = Field(min_length=1)
