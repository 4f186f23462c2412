"""Schemas of the allergen data files; loading a file validates every entry against them."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from terminology.textmatch import Certainty, normalise_term

TermKind = Literal["name", "hidden", "food", "dish", "may-contain", "former-list"]
AllergenKind = Literal["allergen", "group", "species"]
RiskLevel = Literal["high", "moderate", "low"]
ALLERGEN_ID = r"^[a-z][a-z_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Source(_Strict):
    """A published source that data entries cite by id."""

    title: str = Field(min_length=3)
    citation: str = Field(min_length=10)
    url: str
    licence: str = Field(min_length=3)


class TermSpec(_Strict):
    """One term with its own certainty or note, overriding its list's."""

    term: str = Field(min_length=1)
    certainty: Certainty | None = None
    note: str = ""

    @model_validator(mode="after")
    def _has_words(self) -> Self:
        if not normalise_term(self.term):
            raise ValueError(f"term {self.term!r} has no words")
        return self


class TermList(_Strict):
    """Terms that denote or contain an allergen, all from one source."""

    source: str
    kind: TermKind
    certainty: Certainty
    terms: list[str | TermSpec] = Field(min_length=1)
    note: str = ""

    def specs(self) -> list[TermSpec]:
        """Every term as a TermSpec with the list's certainty and note filled in."""
        out = []
        for item in self.terms:
            spec = TermSpec(term=item) if isinstance(item, str) else item
            certainty = spec.certainty or self.certainty
            out.append(TermSpec(term=spec.term, certainty=certainty, note=spec.note or self.note))
        return out


class SnomedCode(_Strict):
    """A SNOMED CT substance concept, with where the code was confirmed."""

    code: str = Field(pattern=r"^[1-9][0-9]{5,17}$")
    display: str = Field(min_length=2)
    source: str


class Allergen(_Strict):
    """One entry of the unified FDA + EU allergen vocabulary."""

    id: str = Field(pattern=ALLERGEN_ID)
    name: str = Field(min_length=2)
    kind: AllergenKind
    fda_major: bool
    eu_annex_ii: int | None = Field(default=None, ge=1, le=14)
    parent: str | None = None
    description: str = Field(min_length=10)
    snomed: list[SnomedCode]
    menuella_keys: list[str]
    term_lists: list[TermList] = Field(min_length=1)
    note: str = ""


class SafeTerm(_Strict):
    """A phrase that looks like an allergen but is not one (it blocks shorter matches)."""

    term: str = Field(min_length=1)
    note: str = Field(min_length=5)


class AllergenFile(_Strict):
    """``allergens.json``."""

    version: str
    sources: dict[str, Source]
    allergens: list[Allergen] = Field(min_length=1)
    safe_terms: list[SafeTerm]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [allergen.id for allergen in self.allergens]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate allergen ids")
        for allergen in self.allergens:
            if allergen.parent is not None and allergen.parent not in ids:
                raise ValueError(f"{allergen.id}: unknown parent {allergen.parent!r}")
            cited = [t.source for t in allergen.term_lists] + [c.source for c in allergen.snomed]
            missing = sorted(set(cited) - set(self.sources))
            if missing:
                raise ValueError(f"{allergen.id}: unknown sources {missing}")
        return self


class DishAllergen(_Strict):
    """An allergen a dish usually or possibly contains, and through which ingredient."""

    allergen: str = Field(pattern=ALLERGEN_ID)
    certainty: Certainty
    via: str = Field(min_length=2)


class Dish(_Strict):
    """A composite food and the allergens its usual recipe brings."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    terms: list[str] = Field(min_length=1)
    allergens: list[DishAllergen] = Field(min_length=1)
    source: str
    note: str = ""


class DishFile(_Strict):
    """``dishes.json``."""

    version: str
    dishes: list[Dish]


class CrossEndpoint(_Strict):
    """One side of a cross-reactivity pair: allergens from the vocabulary and/or food terms."""

    label: str = Field(min_length=2)
    allergens: list[str] = Field(default_factory=list)
    foods: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.allergens and not self.foods:
            raise ValueError(f"{self.label}: an endpoint needs allergens or foods")
        return self


class CrossPair(_Strict):
    """A cross-reactivity between A and B with its risk, rate and citations."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    a: CrossEndpoint
    b: CrossEndpoint
    risk: RiskLevel
    rate_percent: float | None = Field(default=None, ge=0, le=100)
    rate_text: str = Field(min_length=5)
    basis: str = Field(min_length=3)
    sources: list[str] = Field(min_length=1)
    bidirectional: bool
    note: str = ""


class CrossFile(_Strict):
    """``cross_reactivity.json``."""

    version: str
    sources: dict[str, Source]
    pairs: list[CrossPair] = Field(min_length=1)
    risk_levels: dict[RiskLevel, str]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [pair.id for pair in self.pairs]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate cross-reactivity pair ids")
        for pair in self.pairs:
            missing = [source for source in pair.sources if source not in self.sources]
            if missing:
                raise ValueError(f"{pair.id}: unknown sources {missing}")
        return self


class EuNames(_Strict):
    """``eu_names.json``: menuella-food-safety allergen names per locale (MIT, attributed)."""

    source: str
    version: str
    licence: str
    note: str
    names: dict[str, dict[str, str]]
