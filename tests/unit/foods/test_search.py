"""Name search on the shipped file: the ordinary food first, synonyms, typos, preparation."""

from __future__ import annotations

import pytest

from terminology.foods.lookup import FoodLookup, food_lookup
from terminology.foods.search import parse_query


@pytest.fixture(scope="module")
def lookup() -> FoodLookup:
    return food_lookup()


def _top(lookup: FoodLookup, text: str) -> str:
    return lookup.search(text, 1)[0].food.name


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("egg", "Egg, whole, raw, fresh"),
        ("eggs", "Egg, whole, raw, fresh"),
        ("scrambled eggs", "Egg, whole, cooked, scrambled"),
        ("fried egg", "Egg, whole, cooked, fried"),
        ("poached egg", "Egg, whole, cooked, poached"),
        ("oj", "Orange juice, raw"),
        ("brocoli", "Broccoli, raw"),
        ("bannana", "Bananas, raw"),
        ("steamed broccoli", "Broccoli, cooked, boiled, drained, without salt"),
        (
            "grilled chicken breast",
            "Chicken, broilers or fryers, breast, meat only, cooked, roasted",
        ),
        ("rice", "Rice, white, long-grain, regular, cooked"),
        ("coke", "Carbonated beverage, cola, without caffeine"),
        ("almonds", "Nuts, almonds"),
    ],
)
def test_top_match(lookup: FoodLookup, query: str, expected: str) -> None:
    assert _top(lookup, query) == expected


def test_toast_is_toasted_bread(lookup: FoodLookup) -> None:
    for query in ("toast", "white toast", "whole wheat toast"):
        name = _top(lookup, query)
        assert name.startswith("Bread, ")
        assert name.endswith("toasted")
    assert "white" in _top(lookup, "white toast")
    assert "whole-wheat" in _top(lookup, "whole wheat toast")


def test_egg_is_not_egg_noodles(lookup: FoodLookup) -> None:
    names = [m.food.name for m in lookup.search("egg", 10)]
    assert all(name.startswith("Egg") for name in names[:5])
    assert not any("noodle" in name.lower() for name in names)


def test_no_baby_food_for_a_plain_name(lookup: FoodLookup) -> None:
    for query in ("apple", "banana", "carrot", "peas", "chicken"):
        names = [m.food.name.lower() for m in lookup.search(query, 5)]
        assert not any("babyfood" in n or "baby food" in n for n in names), query


def test_coverage_marks_partial_matches(lookup: FoodLookup) -> None:
    assert lookup.search("scrambled eggs", 1)[0].coverage == 1.0
    assert lookup.search("brocoli", 1)[0].coverage == 1.0
    partial = lookup.search("kale pizza", 1)[0]
    assert partial.food.name.startswith("Pizza")
    assert 0.2 < partial.coverage < 0.8
    unknown_word = lookup.search("xqzzv broccoli", 1)[0]
    assert unknown_word.coverage == 0.5
    resolved = lookup.resolve("two scrambled eggs")
    assert resolved is not None
    assert resolved.coverage == 1.0


def test_unknown_words_give_nothing(lookup: FoodLookup) -> None:
    assert lookup.search("xqzzv") == []
    assert lookup.search("") == []
    assert lookup.resolve("a cup of xqzzv") is None


def test_scores_are_ranked(lookup: FoodLookup) -> None:
    scores = [m.score for m in lookup.search("milk", 10)]
    assert scores == sorted(scores, reverse=True)
    assert len(scores) == 10


def test_parse_query_rewrites_synonyms_and_sets_preparation_apart() -> None:
    query = parse_query("whole wheat toast")
    assert query.words == ("whole", "wheat", "bread")
    assert query.preparations == (("toasted",),)
    grilled = parse_query("grilled chicken")
    assert grilled.words == ("chicken",)
    assert grilled.preparations[0][0] == "grilled"
