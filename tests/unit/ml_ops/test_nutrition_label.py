"""Nutrition-facts panels: rapidocr's text read into nutrients per serving."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ml_ops.vision import nutrition_label
from tests.unit.ml_ops.label_image import panel_png


@pytest.mark.slow_ml
@pytest.mark.usefixtures("no_network")
def test_a_rendered_panel_is_read_per_serving() -> None:
    rgb = np.asarray(Image.open(io.BytesIO(panel_png())).convert("RGB"))
    label = nutrition_label.read_label(rgb)
    assert label is not None
    assert label.serving_size_g == 30.0
    assert label.nutrients == {
        "energy": 120.0,
        "fat": 5.0,
        "saturated_fat": 1.5,
        "sodium": 200.0,
        "carbohydrate": 14.0,
        "fiber": 2.0,
        "protein": 3.0,
    }
    assert "Nutrition Facts" in label.text


def test_units_are_converted_to_the_nutrient_code_unit() -> None:
    label = nutrition_label.parse(
        ["Nutrition facts", "Serving size 2,5 g", "Energy 80 kcal", "Sodium 0.2 g", "Iron 900 mcg"]
    )
    assert label is not None
    assert label.serving_size_g == 2.5
    assert label.nutrients == {"energy": 80.0, "sodium": 200.0, "iron": 0.9}


def test_percentages_are_not_amounts() -> None:
    label = nutrition_label.parse(["Nutrition Facts", "Calories 200", "Total Fat 10%"])
    assert label is not None
    assert label.nutrients == {"energy": 200.0}


def test_text_that_is_not_a_panel_gives_no_label() -> None:
    assert nutrition_label.parse(["SUT", "Pinar", "1 L"]) is None
    assert nutrition_label.parse([]) is None
