"""Cross-reactivity: which other foods a person allergic to X may react to, and how likely.

Pairs come from ``data/cross_reactivity.json``, each with a risk level, an approximate
clinical rate where the literature gives one, and citations. A pair is directional unless it
says ``bidirectional`` (latex -> banana is 35% in Sicherer 2001, banana -> latex 11%).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

from terminology.allergens.loader import load_data
from terminology.allergens.matcher import AllergenHit, allergens_in
from terminology.allergens.models import CrossEndpoint, CrossFile, CrossPair, RiskLevel
from terminology.allergens.vocabulary import vocabulary
from terminology.textmatch import Certainty, TermIndex, tokenise

_RISK_ORDER: dict[RiskLevel, int] = {"high": 0, "moderate": 1, "low": 2}


@dataclass(frozen=True)
class CrossReaction:
    """A food that may cross-react for someone allergic to ``from_label``."""

    pair_id: str
    from_label: str
    to_label: str
    to_allergens: tuple[str, ...]
    to_foods: tuple[str, ...]
    risk: RiskLevel
    rate_percent: float | None
    rate_text: str
    basis: str
    citations: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class CrossReactionHit:
    """A cross-reacting food found in a food text, with the words that matched."""

    reaction: CrossReaction
    evidence: tuple[str, ...]
    certainty: Certainty


@cache
def _pairs() -> CrossFile:
    pairs = load_data("cross_reactivity.json", CrossFile)
    known = set(vocabulary().ids)
    for pair in pairs.pairs:
        unknown = [a for a in (*pair.a.allergens, *pair.b.allergens) if a not in known]
        if unknown:
            raise ValueError(f"{pair.id}: unknown allergens {unknown}")
    return pairs


@cache
def _food_index(foods: tuple[str, ...]) -> TermIndex[str]:
    index: TermIndex[str] = TermIndex()
    for food in foods:
        index.add(food, food)
    return index


def cross_pairs() -> list[CrossPair]:
    """Every shipped cross-reactivity pair."""
    return list(_pairs().pairs)


def cross_reactive(allergen_or_food: str) -> list[CrossReaction]:
    """Foods that cross-react with an allergen id (``peanut``) or a food text (``shrimp``).

    Highest risk first. The query also matches pairs written for a group it belongs to or a
    member of it (``almond`` finds tree-nut pairs; ``tree_nuts`` finds walnut-pecan).
    """
    return list(_cross_reactive(allergen_or_food))


@lru_cache(maxsize=1024)  # queries are allergy names: few, and repeated on every check
def _cross_reactive(allergen_or_food: str) -> tuple[CrossReaction, ...]:
    query_ids = _query_allergens(allergen_or_food)
    reactions: list[CrossReaction] = []
    for pair in _pairs().pairs:
        if _endpoint_matches(pair.a, query_ids, allergen_or_food):
            reactions.append(_oriented(pair, pair.a, pair.b))
        elif pair.bidirectional and _endpoint_matches(pair.b, query_ids, allergen_or_food):
            reactions.append(_oriented(pair, pair.b, pair.a))
    return tuple(sorted(reactions, key=lambda r: (_RISK_ORDER[r.risk], r.pair_id)))


def cross_reactions_in(
    allergy: str, food_text: str, food_hits: list[AllergenHit] | None = None
) -> list[CrossReactionHit]:
    """Cross-reacting foods for ``allergy`` that ``food_text`` contains.

    Foods that are the allergy itself (or inside it) are direct allergen hits, not cross
    reactions, and are left to ``allergens_in``. ``food_hits`` are ``allergens_in(food_text)``
    when the caller has them already.
    """
    query_ids = _query_allergens(allergy)
    food_hits = allergens_in(food_text) if food_hits is None else food_hits
    tokens = tokenise(food_text)
    found: list[CrossReactionHit] = []
    for reaction in _cross_reactive(allergy):
        hits = [h for h in food_hits if _reaches(reaction, h) and not _is_direct(query_ids, h)]
        index = _food_index(reaction.to_foods)
        words = [m.text for m in index.find_in_tokens(food_text, tokens)]
        if hits or words:
            certainty: Certainty = "contains" if words else _best(hits)
            evidence = tuple(dict.fromkeys([*(h.matched_text for h in hits), *words]))
            found.append(CrossReactionHit(reaction, evidence, certainty))
    return found


@lru_cache(maxsize=1024)
def _query_allergens(query: str) -> frozenset[str]:
    vocab = vocabulary()
    exact = vocab.by_name(query)
    if exact:
        return frozenset({exact})
    return frozenset(hit.allergen for hit in allergens_in(query))


def _endpoint_matches(endpoint: CrossEndpoint, query_ids: frozenset[str], query: str) -> bool:
    vocab = vocabulary()
    if any(vocab.related(a, q) for a in endpoint.allergens for q in query_ids):
        return True
    return bool(_food_index(tuple(endpoint.foods)).find(query))


def _oriented(pair: CrossPair, source: CrossEndpoint, target: CrossEndpoint) -> CrossReaction:
    citations = _pairs().sources
    return CrossReaction(
        pair_id=pair.id,
        from_label=source.label,
        to_label=target.label,
        to_allergens=tuple(target.allergens),
        to_foods=tuple(target.foods),
        risk=pair.risk,
        rate_percent=pair.rate_percent,
        rate_text=pair.rate_text,
        basis=pair.basis,
        citations=tuple(citations[source_id].citation for source_id in pair.sources),
        note=pair.note,
    )


def _reaches(reaction: CrossReaction, hit: AllergenHit) -> bool:
    vocab = vocabulary()
    return any(vocab.related(target, hit.allergen) for target in reaction.to_allergens)


def _is_direct(query_ids: frozenset[str], hit: AllergenHit) -> bool:
    vocab = vocabulary()
    return any(vocab.related(query, hit.allergen) for query in query_ids)


def _best(hits: list[AllergenHit]) -> Certainty:
    order: list[Certainty] = ["contains", "likely", "possible"]
    present = {hit.certainty for hit in hits}
    return next(level for level in order if level in present)
