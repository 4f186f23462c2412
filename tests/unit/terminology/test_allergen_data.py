"""The shipped allergen vocabulary: FDA and EU coverage, hidden names, codes, sources."""

from __future__ import annotations

import re

import pytest

from terminology.allergens.loader import load_data
from terminology.allergens.models import AllergenFile, DishFile, EuNames
from terminology.allergens.vocabulary import Vocabulary, vocabulary

FDA_MAJOR = {"milk", "egg", "fish", "crustacean_shellfish", "tree_nuts", "peanut", "wheat", "soy"}
FDA_MAJOR |= {"sesame"}
EU_ANNEX_II = {
    1: "cereals_containing_gluten",
    2: "crustacean_shellfish",
    3: "egg",
    4: "fish",
    5: "peanut",
    6: "soy",
    7: "milk",
    8: "tree_nuts",
    9: "celery",
    10: "mustard",
    11: "sesame",
    12: "sulphites",
    13: "lupin",
    14: "molluscs",
}
# The hidden names each allergen must know (FARE, Anaphylaxis UK, FDA/EU lists).
REQUIRED_TERMS = {
    "milk": [
        "casein",
        "caseinate",
        "whey",
        "lactalbumin",
        "lactoglobulin",
        "ghee",
        "curds",
        "paneer",
    ],
    "egg": ["albumin", "ovalbumin", "lysozyme", "meringue", "mayonnaise"],
    "fish": ["surimi", "anchovy paste", "worcestershire sauce", "fish sauce"],
    "wheat": ["semolina", "durum", "spelt", "farina", "seitan", "couscous"],
    "sesame": ["tahini", "halva", "gomasio", "benne"],
    "soy": ["edamame", "miso", "tempeh", "tofu", "soy lecithin"],
    "peanut": ["arachis oil", "groundnut", "monkey nuts"],
    "almond": ["almond", "marzipan"],
    "cashew": ["cashew"],
    "walnut": ["walnut"],
    "pecan": ["pecan"],
    "pistachio": ["pistachio"],
    "hazelnut": ["hazelnut", "filbert", "gianduja"],
    "brazil_nut": ["brazil nut"],
    "macadamia": ["macadamia"],
    "pine_nut": ["pine nut"],
    "tree_nuts": ["praline", "nougat"],
    "crustacean_shellfish": ["shrimp", "prawn", "crab", "lobster", "crayfish"],
    "molluscs": ["clam", "mussel", "oyster", "squid", "octopus", "snail"],
    "celery": ["celeriac", "celery salt"],
    "mustard": ["mustard seed", "dijon"],
    "sulphites": ["sulphur dioxide", "sodium metabisulphite", "e220"],
    "lupin": ["lupin flour", "lupini"],
}


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return vocabulary()


def _terms(vocab: Vocabulary, allergen_id: str, *, hidden_only: bool = False) -> set[str]:
    lists = vocab.allergen(allergen_id).term_lists
    return {
        spec.term
        for term_list in lists
        if not hidden_only or term_list.kind != "name"
        for spec in term_list.specs()
    }


def test_every_fda_major_allergen_is_flagged(vocab: Vocabulary) -> None:
    flagged = {a for a in vocab.ids if vocab.allergen(a).fda_major}
    species = {a for a in flagged if vocab.allergen(a).kind == "species"}
    assert flagged - species == FDA_MAJOR
    assert all(vocab.allergen(a).parent == "tree_nuts" for a in species)


def test_every_eu_annex_ii_item_has_its_entry(vocab: Vocabulary) -> None:
    for item, allergen_id in EU_ANNEX_II.items():
        assert vocab.allergen(allergen_id).eu_annex_ii == item, allergen_id
    for cereal in ("wheat", "rye", "barley", "oats"):
        assert vocab.allergen(cereal).eu_annex_ii == 1
        assert vocab.ancestors(cereal) == ("cereals_containing_gluten",)


def test_eu_tree_nuts_are_the_eight_named_species(vocab: Vocabulary) -> None:
    eu_nuts = {a for a in vocab.descendants("tree_nuts") if vocab.allergen(a).eu_annex_ii == 8}
    expected = {"almond", "hazelnut", "walnut", "cashew", "pecan", "brazil_nut", "pistachio"}
    assert eu_nuts == expected | {"macadamia"}


ENTRIES = load_data("allergens.json", AllergenFile).allergens
ALLERGENS_AND_GROUPS = [a.id for a in ENTRIES if a.kind != "species"]
SPECIES = [a.id for a in ENTRIES if a.kind == "species"]


@pytest.mark.parametrize("allergen_id", ALLERGENS_AND_GROUPS)
def test_every_allergen_and_group_has_at_least_five_hidden_names(
    vocab: Vocabulary, allergen_id: str
) -> None:
    assert len(_terms(vocab, allergen_id, hidden_only=True)) >= 5


@pytest.mark.parametrize("allergen_id", SPECIES)
def test_every_tree_nut_species_has_names_and_its_group_has_the_hidden_ones(
    vocab: Vocabulary, allergen_id: str
) -> None:
    # Species (almond, cashew, ...) are named directly; the hidden tree-nut names (praline,
    # nougat, nut paste, ...) live on the tree_nuts group, which every species belongs to.
    assert len(_terms(vocab, allergen_id)) >= 3
    assert vocab.ancestors(allergen_id) == ("tree_nuts",)


@pytest.mark.parametrize(("allergen_id", "terms"), sorted(REQUIRED_TERMS.items()))
def test_required_hidden_names_are_known(
    vocab: Vocabulary, allergen_id: str, terms: list[str]
) -> None:
    for term in terms:
        assert term in vocab.index, term
        assert any(m.payload.allergen == allergen_id for m in vocab.index.find(term)), term


def test_ids_and_dishes_are_unique() -> None:
    allergens = load_data("allergens.json", AllergenFile)
    dishes = load_data("dishes.json", DishFile)
    assert len({a.id for a in allergens.allergens}) == len(allergens.allergens) == 30
    assert len({d.id for d in dishes.dishes}) == len(dishes.dishes)


def test_every_term_list_cites_a_source_with_a_licence(vocab: Vocabulary) -> None:
    for allergen_id in vocab.ids:
        for term_list in vocab.allergen(allergen_id).term_lists:
            source = vocab.sources[term_list.source]
            assert len(source.citation) > 10
            assert source.licence


def test_every_declared_source_is_used() -> None:
    allergens = load_data("allergens.json", AllergenFile)
    dishes = load_data("dishes.json", DishFile)
    used = {t.source for a in allergens.allergens for t in a.term_lists}
    used |= {c.source for a in allergens.allergens for c in a.snomed}
    used |= {d.source for d in dishes.dishes} | {"menuella"}
    assert used == set(allergens.sources)


def test_snomed_codes_are_well_formed_and_not_shared_across_allergens(vocab: Vocabulary) -> None:
    codes = [c.code for a in vocab.ids for c in vocab.allergen(a).snomed]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[1-9]\d{5,17}", code) for code in codes)
    assert vocab.by_snomed("3718001") == ("milk",)
    assert vocab.by_snomed("227493005") == ("cashew",)
    assert vocab.by_snomed("999999999") == ()


def test_hierarchy_relations(vocab: Vocabulary) -> None:
    assert vocab.related("almond", "tree_nuts")
    assert vocab.related("tree_nuts", "almond")
    assert not vocab.related("almond", "walnut")
    assert vocab.descendants("shellfish") == {"crustacean_shellfish", "molluscs"}
    assert vocab.by_name("Tree nuts") == "tree_nuts"
    assert vocab.by_name("pine_nut") == "pine_nut"
    assert vocab.by_name("spaghetti") is None


def test_eu_names_cover_every_menuella_key_in_fifty_languages(vocab: Vocabulary) -> None:
    names = load_data("eu_names.json", EuNames)
    assert len(names.names) == 28
    assert all(len(per_locale) == 50 for per_locale in names.names.values())
    assert vocab.localised_names("milk")["de"].startswith("Milch")
    assert vocab.localised_names("wheat")["fr"]
    assert vocab.localised_names("coconut") == {}


def test_eu_names_match_the_installed_menuella_package() -> None:
    loaders = pytest.importorskip("menuella_food_safety.loaders")
    names = load_data("eu_names.json", EuNames).names
    for locale in loaders.load_locales():
        for allergen in loaders.load_bundle(locale)["allergens"]:
            assert names[allergen["key"]][locale] == allergen["name"]


def test_a_dish_naming_an_unknown_allergen_is_refused() -> None:
    allergens = load_data("allergens.json", AllergenFile)
    bad = DishFile.model_validate(
        {
            "version": "t",
            "dishes": [
                {
                    "id": "x",
                    "name": "x",
                    "terms": ["x"],
                    "allergens": [{"allergen": "unicorn", "certainty": "likely", "via": "horn"}],
                    "source": "recipe-typical",
                }
            ],
        }
    )
    with pytest.raises(ValueError, match="unknown allergen 'unicorn'"):
        Vocabulary(allergens, bad, load_data("eu_names.json", EuNames))


def test_an_allergen_citing_an_unknown_source_is_refused() -> None:
    data = load_data("allergens.json", AllergenFile).model_dump()
    data["allergens"][0]["term_lists"][0]["source"] = "nowhere"
    with pytest.raises(ValueError, match="unknown sources"):
        AllergenFile.model_validate(data)
