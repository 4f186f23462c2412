"""The meal-text parser: quantities, units, preparations, several foods, spans, typos."""

from __future__ import annotations

import pytest

from ml_ops.text.match import is_quantity_only, read_phrase, written_quantities
from ml_ops.text.pipeline import TextAnalysis, analyse_text
from resources import error_codes
from resources.errors import Invalid, NotSupported


@pytest.mark.parametrize(
    ("text", "quantity", "unit", "food"),
    [
        ("two eggs", 2.0, None, "eggs"),
        ("a banana", 1.0, None, "banana"),
        ("half a grapefruit", 0.5, None, "grapefruit"),
        ("1/2 cup rice", 0.5, "cup", "rice"),
        ("1 1/2 cups of oatmeal", 1.5, "cups", "oatmeal"),
        ("\u00bd cup of blueberries", 0.5, "cup", "blueberries"),
        ("1\u00bd cups milk", 1.5, "cups", "milk"),
        ("a couple of cookies", 2.0, None, "cookies"),
        ("one and a half cups of rice", 1.5, "cups", "rice"),
        ("2 tbsp peanut butter", 2.0, "tbsp", "peanut butter"),
        ("a tsp of honey", 1.0, "tsp", "honey"),
        ("3 slices of bacon", 3.0, "slices", "bacon"),
        ("a handful of almonds", 1.0, "handful", "almonds"),
        ("100g chicken", 100.0, "g", "chicken"),
        ("4 oz salmon", 4.0, "oz", "salmon"),
        ("250 ml orange juice", 250.0, "ml", "orange juice"),
        ("a big bowl of soup", 1.0, "bowl", "soup"),
        ("a 12 oz steak", 12.0, "oz", "steak"),
        ("brown rice 1 cup", 1.0, "cup", "brown rice"),
        ("1,5 cups of rice", 1.5, "cups", "rice"),
    ],
)
def test_quantities_and_units(text: str, quantity: float, unit: str | None, food: str) -> None:
    phrase = read_phrase(text)
    assert (phrase.quantity, phrase.unit, phrase.food) == (quantity, unit, food)


def test_written_quantities() -> None:
    assert written_quantities("\u00bd cup") == "1/2 cup"
    assert written_quantities("a pair of eggs") == "2 eggs"


def test_a_quantity_alone_is_not_a_food() -> None:
    assert is_quantity_only("2 cups")
    assert is_quantity_only("a handful")
    assert is_quantity_only("6")
    assert not is_quantity_only("2 eggs")


def _foods(analysis: TextAnalysis) -> list[str]:
    return [i.recognition.food.name for i in analysis.items]


def test_several_foods_with_spans() -> None:
    text = "For breakfast I had 2 scrambled eggs, toast with butter and a side of bacon."
    analysis = analyse_text(text)
    assert analysis.meal_type == "breakfast"
    spans = [text[i.start : i.end] for i in analysis.items]
    assert spans == ["2 scrambled eggs", "toast", "butter", "bacon"]
    assert [i.text for i in analysis.items] == spans
    names = _foods(analysis)
    assert "scrambled" in names[0].lower()
    assert "toasted" in names[1].lower()
    assert names[2].lower().startswith("butter")
    assert "bacon" in names[3].lower()
    assert not analysis.unrecognised


def test_preparation_words_choose_the_prepared_food() -> None:
    grilled, steamed = analyse_text("grilled chicken breast with steamed broccoli").items
    assert {"roasted", "grilled", "broiled"} & set(grilled.recognition.food.words)
    assert "boiled" in steamed.recognition.food.words or "steamed" in steamed.recognition.food.words


def test_grams_from_household_measures() -> None:
    eggs, toast = analyse_text("2 scrambled eggs and a slice of whole wheat toast").items
    assert eggs.recognition.portion.grams == pytest.approx(122.0)
    assert eggs.recognition.portion.basis == "usda"
    assert 20 < toast.recognition.portion.grams < 40


def test_one_food_named_with_and_stays_one() -> None:
    (item,) = analyse_text("peanut butter and jelly sandwich").items
    assert "jelly sandwich" in item.recognition.food.name.lower()
    (mac,) = analyse_text("mac and cheese").items
    assert "macaroni" in mac.recognition.food.name.lower()
    (pbj,) = analyse_text("a pb&j").items
    assert pbj.recognition.food == item.recognition.food


def test_a_quantity_after_the_food_belongs_to_it() -> None:
    (item,) = analyse_text("pineapple chunks, 1 cup").items
    assert item.recognition.portion.unit == "cup"
    assert item.text == "pineapple chunks, 1 cup"


def test_a_quantity_before_any_food_belongs_to_the_next() -> None:
    # Whisper puts a comma where the voice pauses, or hears "of" as "on"
    (item,) = analyse_text("1/2 cup, cottage cheese").items
    assert item.text == "1/2 cup, cottage cheese"
    assert "cottage cheese" in item.recognition.food.name.lower()
    assert (item.recognition.quantity, item.recognition.portion.unit) == (0.5, "cup")
    (item,) = analyse_text("Today I ate a cup on spinach.").items
    assert item.text == "a cup on spinach"
    assert item.recognition.food.name.lower().startswith("spinach")


def test_typos_are_corrected_with_less_confidence() -> None:
    (typo,) = analyse_text("brocoli").items
    (right,) = analyse_text("broccoli").items
    assert typo.recognition.food == right.recognition.food
    assert typo.recognition.corrections == (("brocoli", "broccoli"),)
    assert typo.recognition.confidence < right.recognition.confidence


def test_unrecognised_phrases_are_kept_with_their_span() -> None:
    text = "a banana and some qwzxv"
    analysis = analyse_text(text)
    assert len(analysis.items) == 1
    (missed,) = analysis.unrecognised
    assert text[missed.start : missed.end] == "qwzxv"


def test_filler_words_are_left_out() -> None:
    (item,) = analyse_text("ate an apple at work").items
    assert item.text == "an apple"


def test_portion_hint_scales_every_portion() -> None:
    (whole,) = analyse_text("a banana").items
    (half,) = analyse_text("a banana", portion_hint=0.5).items
    assert half.recognition.portion.grams == pytest.approx(whole.recognition.portion.grams / 2)


def test_only_english_is_supported() -> None:
    with pytest.raises(NotSupported) as raised:
        analyse_text("deux oeufs", language="fr-FR")
    assert raised.value.nv_code == error_codes.ANALYZE_FOOD_LANGUAGE
    assert analyse_text("an egg", language="en-GB").items


def test_empty_text_is_refused() -> None:
    with pytest.raises(Invalid) as raised:
        analyse_text("  ")
    assert raised.value.nv_code == error_codes.ANALYZE_FOOD_EMPTY_TEXT
