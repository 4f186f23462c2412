"""A nutrition-facts panel rendered with Pillow, for the OCR tests."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from ml_ops.vision.offline import FONT_SOURCES

PANEL = (
    "Nutrition Facts",
    "Serving size 30 g",
    "Calories 120",
    "Total Fat 5 g",
    "Saturated Fat 1.5 g",
    "Sodium 200 mg",
    "Total Carbohydrate 14 g",
    "Dietary Fiber 2 g",
    "Protein 3 g",
)


def panel_png() -> bytes:
    """The panel as black text on white, 36-pixel DejaVu Sans, as PNG bytes."""
    font_path = next(path for path in FONT_SOURCES if path.is_file())
    font = ImageFont.truetype(str(font_path), 36)
    image = Image.new("RGB", (640, 80 + 56 * len(PANEL)), "white")
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(PANEL):
        draw.text((40, 40 + 56 * row), line, fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
