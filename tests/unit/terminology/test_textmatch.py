"""Normalisation, whole-word longest matching and free-from detection."""

from __future__ import annotations

import pytest

from terminology.textmatch import (
    TermIndex,
    normalise_term,
    said_absent,
    singular,
    strongest,
    tokenise,
    weakest,
)


@pytest.mark.parametrize(
    ("plural", "single"),
    [
        ("eggs", "egg"),
        ("anchovies", "anchovy"),
        ("tomatoes", "tomato"),
        ("peaches", "peach"),
        ("glasses", "glass"),
        ("cookies", "cookie"),
        ("brownies", "brownie"),
        ("kiwis", "kiwi"),
        ("octopuses", "octopus"),
        ("nachos", "nacho"),
    ],
)
def test_a_plural_and_its_singular_share_a_key(plural: str, single: str) -> None:
    assert singular(plural) == singular(single)


@pytest.mark.parametrize("word", ["hummus", "couscous", "swiss", "asparagus", "cassis"])
def test_words_that_only_look_plural_keep_their_ending(word: str) -> None:
    assert singular(word) == word


def test_tokens_are_folded_and_keep_their_place_in_the_text() -> None:
    text = "Crème Fraîche & Cow\u2019s milk"
    tokens = tokenise(text)
    assert [t.key for t in tokens] == ["creme", "fraiche", "cow", "milk"]
    assert [text[t.start : t.end] for t in tokens] == ["Crème", "Fraîche", "Cow\u2019s", "milk"]


def test_punctuation_breaks_words() -> None:
    assert normalise_term("half-and-half") == ("half", "and", "half")
    assert normalise_term("St. John's Wort") == ("st", "john", "wort")


def test_a_term_without_words_is_refused() -> None:
    with pytest.raises(ValueError, match="no words"):
        TermIndex[str]().add("&&", "x")


def _index() -> TermIndex[str]:
    index: TermIndex[str] = TermIndex()
    index.add("nut", "tree nut")
    index.add("peanut butter", "peanut")
    index.add("butter", "milk")
    index.add("cocoa butter", None)
    return index


def test_the_longest_term_wins_and_consumes_its_words() -> None:
    matches = _index().find("Peanut butter and butter")
    assert [(m.payload, m.text) for m in matches] == [
        ("peanut", "Peanut butter"),
        ("milk", "butter"),
    ]


def test_a_blocking_term_matches_silently() -> None:
    assert _index().find("cocoa butter") == []


@pytest.mark.parametrize("text", ["doughnut", "nutmeg", "coconut", "walnuts"])
def test_terms_never_match_inside_other_words(text: str) -> None:
    assert _index().find(text) == []


def test_index_membership_uses_normalised_terms() -> None:
    index = _index()
    assert "Nuts" in index
    assert "cashew" not in index
    assert len(index) == 4


@pytest.mark.parametrize(
    ("text", "term", "absent"),
    [
        ("dairy-free cheese", "dairy", True),
        ("no nuts please", "nut", True),
        ("free from gluten", "gluten", True),
        ("decaf coffee", "coffee", True),
        ("fat-free milk", "milk", False),
        ("lactose-free milk", "milk", False),
        ("milk", "milk", False),
    ],
)
def test_free_from_wording_is_seen_only_next_to_the_term(
    text: str, term: str, absent: bool
) -> None:
    keys = [t.key for t in tokenise(text)]
    position = keys.index(singular(term))
    assert said_absent(keys, position, position) is absent


def test_certainty_ordering() -> None:
    assert strongest(["possible", "contains", "likely"]) == "contains"
    assert weakest(["possible", "contains", "likely"]) == "possible"
    assert strongest([]) == "possible"
    assert weakest([]) == "contains"
