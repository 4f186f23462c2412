"""The cross-reactivity matrix: citations, literature rates, and lookups."""

from __future__ import annotations

import pytest

from terminology.allergens.cross_reactivity import (
    CrossReaction,
    cross_pairs,
    cross_reactions_in,
    cross_reactive,
)
from terminology.allergens.loader import load_data
from terminology.allergens.models import CrossFile, CrossPair
from terminology.allergens.vocabulary import vocabulary

# Rates tabulated by Sicherer SH, J Allergy Clin Immunol 2001;108:881-90.
SICHERER_RATES = {
    "peanut-legumes": 5,
    "tree-nuts-walnut-others": 37,
    "fish-species": 50,
    "crustacean-species": 75,
    "wheat-grains": 20,
    "cow-milk-goat-milk": 92,
    "cow-milk-mare-milk": 4,
    "cow-milk-beef": 10,
    "birch-apple": 55,
    "peach-rosaceae": 55,
    "melon-fruits": 92,
    "latex-banana": 35,
    "fruit-latex": 11,
}


def _pair(pair_id: str) -> CrossPair:
    return next(pair for pair in cross_pairs() if pair.id == pair_id)


def _by_id(reactions: list[CrossReaction]) -> dict[str, CrossReaction]:
    return {reaction.pair_id: reaction for reaction in reactions}


@pytest.mark.parametrize("pair", cross_pairs(), ids=lambda pair: pair.id)
def test_every_pair_is_cited_and_valid(pair: CrossPair) -> None:
    sources = load_data("cross_reactivity.json", CrossFile).sources
    assert pair.sources
    assert all(len(sources[source].citation) > 20 for source in pair.sources)
    known = set(vocabulary().ids)
    assert set(pair.a.allergens) <= known
    assert set(pair.b.allergens) <= known
    assert CrossPair.model_validate(pair.model_dump()) == pair


def test_pair_ids_are_unique_and_every_source_is_cited() -> None:
    data = load_data("cross_reactivity.json", CrossFile)
    assert len({pair.id for pair in data.pairs}) == len(data.pairs) >= 30
    assert {s for pair in data.pairs for s in pair.sources} == set(data.sources)


@pytest.mark.parametrize(("pair_id", "rate"), sorted(SICHERER_RATES.items()))
def test_rates_are_the_published_ones(pair_id: str, rate: float) -> None:
    pair = _pair(pair_id)
    assert pair.rate_percent == rate
    assert "sicherer-2001" in pair.sources


@pytest.mark.parametrize(
    ("pair_id", "risk"),
    [
        ("cashew-pistachio", "high"),
        ("walnut-pecan", "high"),
        ("crustacean-species", "high"),
        ("cow-milk-goat-milk", "high"),
        ("cow-milk-sheep-milk", "high"),
        ("crustacean-mollusc", "moderate"),
        ("peanut-lupin", "moderate"),
        ("latex-avocado", "moderate"),
        ("peanut-legumes", "low"),
        ("cow-milk-mare-milk", "low"),
    ],
)
def test_risk_levels(pair_id: str, risk: str) -> None:
    assert _pair(pair_id).risk == risk


def test_risk_follows_the_rate_where_there_is_one() -> None:
    for pair in cross_pairs():
        if pair.rate_percent is None:
            continue
        expected = "high" if pair.rate_percent >= 50 else "moderate"
        expected = "low" if pair.rate_percent < 10 else expected
        assert pair.risk == expected, pair.id


def test_required_families_are_covered() -> None:
    ids = {pair.id for pair in cross_pairs()}
    birch = {f"birch-{food}" for food in ("apple", "cherry", "peach", "pear", "carrot", "celery")}
    birch |= {f"birch-{food}" for food in ("hazelnut", "almond", "kiwi")}
    latex = {f"latex-{food}" for food in ("banana", "avocado", "kiwi", "chestnut")}
    assert birch | latex <= ids
    assert {"peanut-lupin", "crustacean-mollusc", "fish-species", "cow-milk-goat-milk"} <= ids


def test_tree_nut_allergy_finds_the_close_pairs_first() -> None:
    reactions = cross_reactive("tree_nuts")
    assert [r.pair_id for r in reactions[:2]] == ["cashew-pistachio", "walnut-pecan"]
    assert "peanut-tree-nuts" in _by_id(reactions)


def test_a_bidirectional_pair_is_found_from_either_side() -> None:
    from_pistachio = _by_id(cross_reactive("pistachio"))["cashew-pistachio"]
    assert (from_pistachio.from_label, from_pistachio.to_label) == ("Pistachio", "Cashew")
    assert "cashew-pistachio" in _by_id(cross_reactive("cashew"))


def test_a_directional_pair_is_only_found_from_its_source() -> None:
    assert "latex-banana" in _by_id(cross_reactive("latex"))
    assert "latex-banana" not in _by_id(cross_reactive("banana"))
    assert _by_id(cross_reactive("banana"))["fruit-latex"].rate_percent == 11


def test_food_text_queries_resolve_through_the_vocabulary() -> None:
    shrimp = _by_id(cross_reactive("shrimp"))
    assert shrimp["crustacean-species"].rate_percent == 75
    assert shrimp["crustacean-mollusc"].risk == "moderate"
    assert shrimp["crustacean-mollusc"].citations[0].startswith("Lopata AL")


def test_an_unrelated_query_has_no_cross_reactions() -> None:
    assert cross_reactive("rice") == []


@pytest.mark.parametrize(
    ("allergy", "food", "pair_id"),
    [
        ("birch pollen", "a raw apple", "birch-apple"),
        ("cashew", "pistachio ice cream", "cashew-pistachio"),
        ("walnut", "pecan pie", "walnut-pecan"),
        ("shrimp", "steamed mussels", "crustacean-mollusc"),
        ("peanut", "lupin flour bread", "peanut-lupin"),
        ("latex", "banana smoothie", "latex-banana"),
        ("milk", "goat cheese salad", "cow-milk-goat-milk"),
        ("tree nuts", "peanut butter", "peanut-tree-nuts"),
    ],
)
def test_cross_reacting_foods_are_found_in_food_text(allergy: str, food: str, pair_id: str) -> None:
    hits = {hit.reaction.pair_id: hit for hit in cross_reactions_in(allergy, food)}
    assert pair_id in hits
    assert hits[pair_id].evidence


def test_the_allergy_itself_is_not_reported_as_a_cross_reaction() -> None:
    assert cross_reactions_in("almond", "almond cake") == []
    assert cross_reactions_in("cashew", "plain rice") == []
