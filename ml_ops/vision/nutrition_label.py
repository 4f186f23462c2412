"""Nutrition-facts panels read with rapidocr (its ONNX models ship in its wheel).

The OCR gives text lines; a line such as "Protein 3 g" or "Sodium 200mg" becomes an amount in
the unit of the nutrient's code in ``terminology.nutrients`` (grams converted to milligrams
where the code counts milligrams, and so on). "% Daily Value" figures are ignored: only
amounts with a mass or energy unit are taken.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ml_ops.recognition import NutritionLabel
from terminology.nutrients import BY_CODE

LABEL_WORDS = ("nutrition", "calories", "serving", "protein", "energy")
"""A photo is taken for a panel when the OCR reads at least two of these."""

NUTRIENT_WORDS: tuple[tuple[str, str], ...] = (
    # Longer phrases first: "saturated fat" must not be read as "fat".
    ("saturated fat", "saturated_fat"),
    ("trans fat", "trans_fat"),
    ("monounsaturated fat", "monounsaturated_fat"),
    ("polyunsaturated fat", "polyunsaturated_fat"),
    ("total fat", "fat"),
    ("fat", "fat"),
    ("cholesterol", "cholesterol"),
    ("sodium", "sodium"),
    ("potassium", "potassium"),
    ("total carbohydrate", "carbohydrate"),
    ("carbohydrate", "carbohydrate"),
    ("dietary fiber", "fiber"),
    ("dietary fibre", "fiber"),
    ("fiber", "fiber"),
    ("fibre", "fiber"),
    ("total sugars", "sugars"),
    ("sugars", "sugars"),
    ("protein", "protein"),
    ("calcium", "calcium"),
    ("iron", "iron"),
    ("vitamin c", "vitamin_c"),
    ("vitamin d", "vitamin_d"),
    ("calories", "energy"),
    ("energy", "energy"),
)
UNIT_FACTORS = {"g": 1.0, "mg": 1e-3, "mcg": 1e-6, "µg": 1e-6, "ug": 1e-6, "kcal": 1.0}
"""Each unit in grams (masses) or kcal (energy), to convert into the nutrient code's unit."""
AMOUNT = re.compile(r"(\d+(?:[.,]\d+)?)\s*(kcal|mcg|µg|ug|mg|g)?\b", re.IGNORECASE)
SERVING = re.compile(r"serving\s*size\D*?(\d+(?:[.,]\d+)?)\s*(g|ml)\b", re.IGNORECASE)

_engine: Any = None
_engine_lock = threading.Lock()


def _ocr_engine() -> Any:
    """One rapidocr engine per process (it loads three ONNX models)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            from rapidocr import RapidOCR

            _engine = RapidOCR(params={"Global.log_level": "critical"})
        return _engine


def read_lines(image: NDArray[np.uint8]) -> list[str]:
    """The text lines rapidocr reads in an RGB image, top to bottom."""
    result = _ocr_engine()(image[:, :, ::-1])  # rapidocr takes OpenCV's BGR order
    texts: Sequence[str] = result.txts or ()
    boxes = result.boxes if result.boxes is not None else np.zeros((len(texts), 4, 2))
    return _join_rows(texts, boxes)


def _join_rows(texts: Sequence[str], boxes: Any) -> list[str]:
    """Text boxes on one visual row joined left to right ("Protein" ... "3 g")."""
    items = sorted(
        (
            (float(np.mean(box[:, 1])), float(np.min(box[:, 0])), float(np.ptp(box[:, 1])), text)
            for text, box in zip(texts, boxes, strict=True)
        ),
    )
    rows: list[list[tuple[float, float, float, str]]] = []
    for item in items:
        if rows and abs(item[0] - rows[-1][0][0]) < max(item[2], rows[-1][0][2]) * 0.5:
            rows[-1].append(item)
        else:
            rows.append([item])
    return [" ".join(part[3] for part in sorted(row, key=lambda part: part[1])) for row in rows]


def _amount(rest: str, code: str) -> float | None:
    """The first amount in ``rest`` in the unit of ``code``; a bare number only for energy."""
    for match in AMOUNT.finditer(rest):
        value = float(match.group(1).replace(",", "."))
        unit = (match.group(2) or "").lower()
        target = BY_CODE[code].unit
        if code == "energy":
            return value if unit in ("", "kcal") else None
        if unit in UNIT_FACTORS and unit != "kcal":
            return value * UNIT_FACTORS[unit] / UNIT_FACTORS[target]
        if not unit and "%" not in rest[match.end() : match.end() + 2]:
            continue  # a bare number beside a nutrient name is a % or a footnote, not an amount
    return None


def parse(lines: Iterable[str]) -> NutritionLabel | None:
    """Nutrients per serving from the panel's text lines; None when it is not a panel."""
    lines = [line.strip() for line in lines if line.strip()]
    text = "\n".join(lines)
    lowered = text.lower()
    if sum(word in lowered for word in LABEL_WORDS) < 2:
        return None
    nutrients: dict[str, float] = {}
    for line in lines:
        low = line.lower()
        for word, code in NUTRIENT_WORDS:
            position = low.find(word)
            if position >= 0:
                value = _amount(line[position + len(word) :], code)
                if value is not None and code not in nutrients:
                    nutrients[code] = round(value, 4)
                break
    serving = SERVING.search(text)
    serving_g = float(serving.group(1).replace(",", ".")) if serving else None
    return NutritionLabel(text=text, serving_size_g=serving_g, nutrients=nutrients)


def read_label(image: NDArray[np.uint8]) -> NutritionLabel | None:
    """The nutrition panel in an RGB photo, or None when the photo shows none."""
    return parse(read_lines(image))
