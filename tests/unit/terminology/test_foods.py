"""Foods: free-text portions resolve to the USDA SR24 food and measure a person means, and
nutrients per portion match the USDA files (read here independently) within rounding."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from terminology.foods import food_database, portion
from terminology.foods.build import DEFAULT_JAR, NUTRIENTS, build

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "foods" / "usda_sr24"
SHIPPED = (
    Path(__file__).resolve().parents[3]
    / "terminology"
    / "foods"
    / "data"
    / "usda-sr24-foods.json.gz"
)

# phrase -> (NDB, quantity, the measure's label starts with)
PORTIONS: dict[str, tuple[str, float, str]] = {
    "two scrambled eggs": ("01132", 2, "large"),
    "a slice of whole wheat toast": ("18076", 1, "slice"),
    "grilled chicken breast": ("05064", 1, "breast"),
    "steamed broccoli": ("11091", 1, "cup"),
    "a boiled egg": ("01129", 1, "large"),
    "a fried egg": ("01128", 1, "large"),
    "a poached egg": ("01131", 1, "large"),
    "2 slices of white bread": ("18069", 2, "slice"),
    "an apple": ("09003", 1, "medium"),
    "a banana": ("09040", 1, "medium"),
    "an orange": ("09200", 1, "fruit"),
    "3 strawberries": ("09316", 3, "medium"),
    "a cup of blueberries": ("09050", 1, "cup"),
    "a cup of grapes": ("09132", 1, "cup"),
    "a slice of watermelon": ("09326", 1, "wedge"),
    "a pear": ("09252", 1, "medium"),
    "a peach": ("09236", 1, "medium"),
    "a cup of pineapple": ("09266", 1, "cup"),
    "half an avocado": ("09037", 0.5, "avocado"),
    "two kiwis": ("09148", 2, "fruit"),
    "a cup of rice": ("20045", 1, "cup"),
    "a cup of brown rice": ("20037", 1, "cup"),
    "a cup of quinoa": ("20137", 1, "cup"),
    "a cup of spaghetti": ("20121", 1, "cup"),
    "a bowl of oatmeal": ("08121", 1, "cup"),
    "a glass of milk": ("01077", 1, "cup"),
    "a cup of 2% milk": ("01079", 1, "cup"),
    "a cup of cottage cheese": ("01015", 1, "cup"),
    "a cup of yogurt": ("01117", 1, "cup"),
    "a tablespoon of butter": ("01145", 1, "tbsp"),
    "a tablespoon of olive oil": ("04053", 1, "tablespoon"),
    "2 tbsp peanut butter": ("16098", 2, "tbsp"),
    "a salmon fillet": ("15237", 1, "fillet"),
    "a can of tuna": ("15121", 1, "can"),
    "a hamburger patty": ("23568", 1, "patty"),
    "3 slices of bacon": ("10862", 3, "slice"),
    "a cup of black beans": ("16015", 1, "cup"),
    "a cup of lentils": ("16070", 1, "cup"),
    "2 tbsp hummus": ("16158", 2, "tbsp"),
    "a cup of spinach": ("11457", 1, "cup"),
    "a carrot": ("11124", 1, "medium"),
    "a tomato": ("11529", 1, "medium"),
    "a cup of lettuce": ("11251", 1, "cup"),
    "a cup of corn": ("11168", 1, "cup"),
    "a cup of peas": ("11305", 1, "cup"),
    "a cup of green beans": ("11053", 1, "cup"),
    "a baked potato": ("11674", 1, "potato medium"),
    "a cup of mashed potatoes": ("11934", 1, "cup"),
    "a glass of orange juice": ("09206", 1, "cup"),
    "a cup of coffee": ("14209", 1, "cup"),
    "a glass of water": ("14555", 1, "cup"),
    "a teaspoon of honey": ("19296", 1, "tbsp"),
    "a bagel": ("18406", 1, "medium bagel"),
    "an english muffin": ("18437", 1, "muffin"),
    "a slice of pizza": ("21224", 1, "serving 9"),
}
GRAM_PORTIONS = {
    "an ounce of cheddar cheese": ("01009", 28.349523125),
    "an ounce of almonds": ("12061", 28.349523125),
    "150 g salmon": ("15237", 150.0),
    "a handful of walnuts": ("12155", 28.349523125),
}


def _source(ndb: str) -> ElementTree.Element:
    return ElementTree.parse(FIXTURES / f"{ndb}.xml").getroot()  # noqa: S314 - test fixture


def _source_grams(ndb: str, label_prefix: str) -> float:
    for measure in _source(ndb).iter("measure"):
        if measure.get("name", "").lower().startswith(label_prefix):
            return float(measure.get("grams", "0")) / float(measure.get("amount", "1"))
    raise AssertionError(f"{ndb} has no measure {label_prefix!r}")


def _per_100g(ndb: str, sr_name: str) -> float | None:
    for nutrient in _source(ndb).iter("nutrient"):
        if nutrient.get("name") == sr_name:
            return float(nutrient.get("amount", "0"))
    return None


def _check_nutrients(text: str, ndb: str, grams: float) -> None:
    found = portion(text)
    assert found is not None
    for key, sr_name, _ in NUTRIENTS:
        expected = _per_100g(ndb, sr_name)
        got = found.nutrients[key]
        if expected is None:
            assert got is None, (text, key)
        else:
            assert got == pytest.approx(expected * grams / 100, abs=0.01), (text, key)


@pytest.mark.parametrize("text", list(PORTIONS))
def test_household_portions(text: str) -> None:
    ndb, quantity, label = PORTIONS[text]
    found = portion(text)
    assert found is not None, text
    assert found.food.ndb == ndb, (text, found.food.name)
    assert found.quantity == quantity
    expected_grams = quantity * _source_grams(ndb, "tbsp" if label == "tbsp" else label)
    if text == "a teaspoon of honey":  # no tsp measure: a third of a tablespoon
        expected_grams = _source_grams(ndb, "cup") / 48
    assert found.grams == pytest.approx(expected_grams, abs=0.01)
    _check_nutrients(text, ndb, found.grams)


@pytest.mark.parametrize("text", list(GRAM_PORTIONS))
def test_mass_portions(text: str) -> None:
    ndb, grams = GRAM_PORTIONS[text]
    found = portion(text)
    assert found is not None
    assert found.food.ndb == ndb
    assert found.grams == pytest.approx(grams, abs=0.01)
    _check_nutrients(text, ndb, found.grams)


def test_the_four_examples_in_numbers() -> None:
    eggs = portion("two scrambled eggs")
    assert eggs is not None
    assert eggs.grams == 122.0
    assert eggs.nutrients["energy"] == pytest.approx(181.78)  # 149 kcal/100 g x 1.22
    toast = portion("a slice of whole wheat toast")
    assert toast is not None
    assert toast.grams == 25.0


def test_search_ranks_generic_foods_and_first_words() -> None:
    names = [food.name for food in food_database().search("kiwifruit")]
    assert names[0].startswith("Kiwifruit")
    assert food_database().search("") == []
    assert portion("zzzz qqqq") is None


def test_shipped_foods_equal_the_usda_files() -> None:
    database = food_database()
    assert len(database.foods) == 7907
    for path in sorted(FIXTURES.glob("*.xml")):
        ndb = path.stem
        food = database.foods[ndb]
        assert food.name == _source(ndb).get("name")
        for key, sr_name, _ in NUTRIENTS:
            assert food.per_100g[key] == _per_100g(ndb, sr_name), (ndb, key)
        measures = [
            (m.get("name"), float(m.get("grams", "0"))) for m in _source(ndb).iter("measure")
        ]
        assert [(m.label, m.grams) for m in food.measures] == measures


def test_every_alias_names_a_shipped_food() -> None:
    database = food_database()
    for alias in database.aliases.values():
        food = database.foods[alias.ndb]
        assert food.measure(alias.measure) is not None, (food.name, alias.measure)


@pytest.mark.skipif(not DEFAULT_JAR.exists(), reason="Debian's cronometer is not installed")
def test_the_shipped_file_is_the_build_of_the_jar(tmp_path: Path) -> None:
    target = tmp_path / "foods.json.gz"
    build(DEFAULT_JAR, target)
    assert json.loads(gzip.decompress(target.read_bytes())) == json.loads(
        gzip.decompress(SHIPPED.read_bytes())
    )


def test_a_food_as_a_valid_nutrition_product() -> None:
    from fhir.resources.R4B.nutritionproduct import NutritionProduct

    from terminology.foods import nutrition_product

    product = nutrition_product(food_database().foods["01132"])
    NutritionProduct.model_validate(product)  # raises when not a valid R4B NutritionProduct
    assert product["id"] == "usda-01132"
    energy = next(
        n for n in product["nutrient"] if n["item"]["concept"]["coding"][0]["code"] == "energy"
    )
    assert energy["amount"][0]["numerator"]["value"] == _per_100g("01132", "Energy")
    assert energy["amount"][0]["denominator"]["value"] == 100
    large = next(c for c in product["productCharacteristic"] if c["type"]["text"] == "1 large")
    assert large["valueQuantity"]["value"] == 61.0
