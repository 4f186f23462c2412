"""Make the food composition file that ships in ``data/`` from USDA SR24.

Source: USDA National Nutrient Database for Standard Reference, Release 24 (public domain), as
packaged by Debian's ``cronometer`` (0.9.9+dfsg1-1): ``/usr/share/cronometer/usda_sr24.jar``, a
zip of one XML file per food (``usda_sr24/<NDB>.xml``: nutrients per 100 g, household measures
with their gram weights) and ``usda_sr24/foods.index`` (the 7,907 current foods; deprecated ones
are left out). Get it with ``apt-get install cronometer``, or ``apt-get download cronometer``
and ``dpkg-deb -x``. Kept: the nutrients in ``NUTRIENTS`` and every measure.
"""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

DEFAULT_JAR = Path("/usr/share/cronometer/usda_sr24.jar")
SOURCE = "USDA SR24 (public domain) from Debian cronometer 0.9.9+dfsg1-1 usda_sr24.jar"

NUTRIENTS: tuple[tuple[str, str, str], ...] = (
    # (key, SR24 name in cronometer's files, UCUM unit per 100 g)
    ("energy", "Energy", "kcal"),
    ("protein", "Protein", "g"),
    ("carbohydrate", "Carbs", "g"),
    ("fiber", "Fiber", "g"),
    ("sugars", "Sugars", "g"),
    ("fat", "Fat", "g"),
    ("saturated-fat", "Saturated", "g"),
    ("monounsaturated-fat", "Monounsaturated", "g"),
    ("polyunsaturated-fat", "Polyunsaturated", "g"),
    ("trans-fat", "Trans-Fats", "g"),
    ("cholesterol", "Cholesterol", "mg"),
    ("sodium", "Sodium", "mg"),
    ("potassium", "Potassium", "mg"),
    ("calcium", "Calcium", "mg"),
    ("iron", "Iron", "mg"),
    ("magnesium", "Magnesium", "mg"),
    ("phosphorus", "Phosphorus", "mg"),
    ("zinc", "Zinc", "mg"),
    ("vitamin-c", "Vitamin C", "mg"),
    ("vitamin-d", "Vitamin D", "[iU]"),
    ("vitamin-a", "Vitamin A", "[iU]"),
    ("vitamin-k", "Vitamin K", "ug"),
    ("folate", "Folate", "ug"),
    ("vitamin-b12", "B12 (Cyanocobalamin)", "ug"),
    ("caffeine", "Caffeine", "mg"),
    ("alcohol", "Alcohol", "g"),
    ("water", "Water", "g"),
)


def parse_food(xml: bytes) -> dict[str, Any]:
    """One SR24 food file: ndb, name, nutrients per 100 g by SR24 name, measures."""
    root = ElementTree.fromstring(xml)  # noqa: S314 - the packaged USDA files, not user input
    return {
        "ndb": root.get("uid", ""),
        "name": root.get("name", ""),
        "nutrients": {
            n.get("name", ""): float(n.get("amount", "0")) for n in root.iter("nutrient")
        },
        "measures": [
            (float(m.get("amount", "1")), m.get("name", ""), float(m.get("grams", "0")))
            for m in root.iter("measure")
        ],
    }


def read_foods(jar: Path) -> list[dict[str, Any]]:
    """Every current food of the jar, in ``foods.index`` order."""
    with zipfile.ZipFile(jar) as archive:
        index = archive.read("usda_sr24/foods.index").decode("utf-8").splitlines()
        ndbs = [line.split("|", 1)[0] for line in index if "|" in line]
        return [parse_food(archive.read(f"usda_sr24/{ndb}.xml")) for ndb in ndbs]


def _row(food: dict[str, Any]) -> list[Any]:
    values = [food["nutrients"].get(name) for _, name, _ in NUTRIENTS]
    measures = [[amount, label, grams] for amount, label, grams in food["measures"]]
    return [food["ndb"], food["name"], values, measures]


def build(jar: Path, target: Path) -> int:
    """Write the compact file to ``target``; returns the number of foods."""
    foods = read_foods(jar)
    data = {
        "source": SOURCE,
        "nutrients": [list(n) for n in NUTRIENTS],
        "foods": [_row(food) for food in foods],
    }
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    target.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    return len(foods)
