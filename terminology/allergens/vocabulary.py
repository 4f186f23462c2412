"""The unified allergen vocabulary: entries, their hierarchy, codes, names and term index."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from terminology.allergens.loader import load_data
from terminology.allergens.models import Allergen, AllergenFile, DishFile, EuNames, Source
from terminology.textmatch import Certainty, TermIndex, normalise_term


@dataclass(frozen=True)
class TermPayload:
    """What a matched term means: which allergen, how sure, and from which source list."""

    allergen: str
    certainty: Certainty
    kind: str
    source: str
    note: str
    via: str = ""


class Vocabulary:
    """Allergens, dishes and EU names, cross-checked, with a longest-match term index."""

    def __init__(self, allergens: AllergenFile, dishes: DishFile, eu_names: EuNames) -> None:
        self.sources: dict[str, Source] = dict(allergens.sources)
        self.eu_names = eu_names
        self._by_id = {allergen.id: allergen for allergen in allergens.allergens}
        self._ancestors = {key: self._walk_up(key) for key in self._by_id}
        self._by_snomed = _snomed_map(allergens)
        self.index: TermIndex[TermPayload] = TermIndex()
        self._add_allergen_terms(allergens)
        self._add_dishes(dishes)
        for safe in allergens.safe_terms:
            self.index.add(safe.term, None)
        self._check_menuella_keys()

    @property
    def ids(self) -> list[str]:
        """Every allergen id, in file order."""
        return list(self._by_id)

    def allergen(self, allergen_id: str) -> Allergen:
        """The entry for ``allergen_id`` (KeyError when unknown)."""
        return self._by_id[allergen_id]

    def ancestors(self, allergen_id: str) -> tuple[str, ...]:
        """Parent, grandparent, ... of an allergen (wheat -> cereals_containing_gluten)."""
        return self._ancestors[allergen_id]

    def descendants(self, allergen_id: str) -> frozenset[str]:
        """Every entry below ``allergen_id`` (tree_nuts -> almond, cashew, ...)."""
        return frozenset(key for key, up in self._ancestors.items() if allergen_id in up)

    def related(self, first: str, second: str) -> bool:
        """True when one allergen is the other or contains it (almond and tree_nuts)."""
        return first == second or first in self.ancestors(second) or second in self.ancestors(first)

    def by_snomed(self, code: str) -> tuple[str, ...]:
        """Allergen ids carrying SNOMED CT ``code``."""
        return self._by_snomed.get(code, ())

    def by_name(self, text: str) -> str | None:
        """The allergen whose id or name is exactly ``text`` (case, accents, plural ignored)."""
        key = normalise_term(text.replace("_", " "))
        for allergen in self._by_id.values():
            if key in (
                normalise_term(allergen.name),
                normalise_term(allergen.id.replace("_", " ")),
            ):
                return allergen.id
        return None

    def localised_names(self, allergen_id: str) -> dict[str, str]:
        """The allergen's name per locale from menuella-food-safety (first Menuella key)."""
        keys = self.allergen(allergen_id).menuella_keys
        return dict(self.eu_names.names[keys[0]]) if keys else {}

    def _walk_up(self, allergen_id: str) -> tuple[str, ...]:
        chain: list[str] = []
        parent = self._by_id[allergen_id].parent
        while parent is not None:
            if parent in chain or parent == allergen_id:
                raise ValueError(f"allergen hierarchy has a cycle at {allergen_id}")
            chain.append(parent)
            parent = self._by_id[parent].parent
        return tuple(chain)

    def _add_allergen_terms(self, allergens: AllergenFile) -> None:
        for allergen in allergens.allergens:
            for term_list in allergen.term_lists:
                for spec in term_list.specs():
                    certainty: Certainty = spec.certainty or term_list.certainty
                    payload = TermPayload(
                        allergen.id, certainty, term_list.kind, term_list.source, spec.note
                    )
                    self.index.add(spec.term, payload)

    def _add_dishes(self, dishes: DishFile) -> None:
        for dish in dishes.dishes:
            if dish.source not in self.sources:
                raise ValueError(f"dish {dish.id}: unknown source {dish.source!r}")
            for item in dish.allergens:
                if item.allergen not in self._by_id:
                    raise ValueError(f"dish {dish.id}: unknown allergen {item.allergen!r}")
                note = f"{dish.name}: {item.via}" + (f". {dish.note}" if dish.note else "")
                payload = TermPayload(
                    item.allergen, item.certainty, "dish", dish.source, note, item.via
                )
                for term in dish.terms:
                    self.index.add(term, payload)

    def _check_menuella_keys(self) -> None:
        for allergen in self._by_id.values():
            for key in allergen.menuella_keys:
                if key not in self.eu_names.names:
                    raise ValueError(f"{allergen.id}: unknown Menuella key {key!r}")


def _snomed_map(allergens: AllergenFile) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for allergen in allergens.allergens:
        for code in allergen.snomed:
            out[code.code] = (*out.get(code.code, ()), allergen.id)
    return out


@cache
def vocabulary() -> Vocabulary:
    """The shipped vocabulary, loaded and validated once."""
    return Vocabulary(
        load_data("allergens.json", AllergenFile),
        load_data("dishes.json", DishFile),
        load_data("eu_names.json", EuNames),
    )
