"""Spoken quantities become digits before the text parser sees them."""

from __future__ import annotations

import pytest

from ml_ops.speech.numbers import normalise_numbers

pytestmark = pytest.mark.usefixtures("no_network")


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        (
            "I had two scrambled eggs and a slice of toast.",
            "I had 2 scrambled eggs and a slice of toast.",
        ),
        ("one and a half cups of oatmeal", "1 1/2 cups of oatmeal"),
        ("1 and a half bananas", "1 1/2 bananas"),
        ("two and a quarter cups", "2 1/4 cups"),
        ("half a cup of rice", "1/2 cup of rice"),
        ("half an avocado", "1/2 avocado"),
        ("a half cup of beans", "1/2 cup of beans"),
        ("a quarter of a pizza", "1/4 of a pizza"),
        ("three quarters of a cup", "3/4 of a cup"),
        ("Two-thirds cup of milk", "2/3 cup of milk"),
        ("two hundred and fifty grams of yogurt", "250 grams of yogurt"),
        ("one hundred fifty grams", "150 grams"),
        ("twenty-five grapes", "25 grapes"),
        ("twenty five grapes", "25 grapes"),
        ("a dozen almonds", "12 almonds"),
        ("half a dozen eggs", "6 eggs"),
        ("two dozen cherries", "24 cherries"),
        ("two thousand calories", "2000 calories"),
        ("Eleven crackers and three figs", "11 crackers and 3 figs"),
        # a written fraction read out, as espeak-ng says "1/2": "one slash two"
        ("1 slash 2 cup cottage cheese", "1/2 cup cottage cheese"),
        ("one slash two cup of rice", "1/2 cup of rice"),
        ("1 1 slash 2 cups of oatmeal", "1 1/2 cups of oatmeal"),
        ("three slash four of a pizza", "3/4 of a pizza"),
    ],
)
def test_spoken_numbers_become_digits(spoken: str, written: str) -> None:
    assert normalise_numbers(spoken) == written


@pytest.mark.parametrize(
    "text",
    [
        "a slice of toast",  # the article stays a word
        "half of the pizza",
        "the one with cheese",  # "one" as a pronoun
        "no one else ate",
        "1.5 cups of milk",  # decimals are already digits
        "an apple and a banana",
        "the slash key",
        "2 slash 1",  # not a fraction of a measure
        "",
    ],
)
def test_other_words_stay(text: str) -> None:
    assert normalise_numbers(text) == text


def test_numbers_next_to_each_other_stay_apart() -> None:
    assert normalise_numbers("one two three") == "1 2 3"
    assert normalise_numbers("twenty thirty") == "20 30"
    assert normalise_numbers("two eggs and one toast") == "2 eggs and 1 toast"
