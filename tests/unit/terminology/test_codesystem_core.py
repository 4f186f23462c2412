"""Code system index, value set expansion and concept map translation on small resources."""

from __future__ import annotations

from typing import Any

import pytest

from resources.errors import Invalid, NotFound, Unprocessable
from terminology.codesystems import Overlay, catalog, index_from_resource
from terminology.codesystems.conceptmaps import Request, candidate_maps, translate
from terminology.codesystems.validation import in_code_system, in_value_set
from terminology.codesystems.valuesets import expand, text_filter

SYSTEM = "urn:test:foods"
CODE_SYSTEM: dict[str, Any] = {
    "resourceType": "CodeSystem",
    "url": SYSTEM,
    "version": "1",
    "status": "active",
    "content": "complete",
    "caseSensitive": False,
    "concept": [
        {
            "code": "food",
            "display": "Food",
            "property": [{"code": "notSelectable", "valueBoolean": True}],
            "concept": [
                {
                    "code": "fruit",
                    "display": "Fruit",
                    "concept": [
                        {
                            "code": "apple",
                            "display": "Green apple",
                            "property": [{"code": "colour", "valueCode": "green"}],
                        },
                        {
                            "code": "cherry",
                            "display": "Cherry",
                            "property": [
                                {"code": "colour", "valueCode": "red"},
                                {"code": "status", "valueCode": "retired"},
                            ],
                        },
                    ],
                },
                {"code": "nut", "display": "Nut"},
            ],
        },
        {
            "code": "peanut",
            "display": "Peanut",
            "property": [{"code": "parent", "valueCode": "nut"}],
        },
    ],
}


def _sources(*resources: dict[str, Any]) -> Overlay:
    sources = Overlay(catalog())
    for resource in (CODE_SYSTEM, *resources):
        sources.add(resource)
    return sources


def _codes(*include: dict[str, Any], exclude: list[dict[str, Any]] | None = None) -> list[str]:
    compose: dict[str, Any] = {"include": list(include)}
    if exclude:
        compose["exclude"] = exclude
    value_set = {"resourceType": "ValueSet", "url": "urn:vs", "compose": compose}
    return [m.code for m in expand(value_set, _sources())]


def _filter(op: str, value: str, prop: str = "concept") -> dict[str, Any]:
    return {"system": SYSTEM, "filter": [{"property": prop, "op": op, "value": value}]}


def test_index_hierarchy_from_nesting_and_parent_property() -> None:
    index = index_from_resource(CODE_SYSTEM)
    assert index.is_a("apple", "food")
    assert index.is_a("peanut", "nut")
    assert not index.is_a("food", "apple")
    assert index.descendants("food") == ["fruit", "apple", "cherry", "nut", "peanut"]
    assert index.ancestors("peanut") == {"nut", "food"}
    assert index.is_leaf("apple")
    assert not index.is_leaf("nut")
    assert index.get("APPLE") is not None  # caseSensitive false
    cherry = index.get("cherry")
    assert cherry is not None
    assert cherry.inactive
    food = index.get("food")
    assert food is not None
    assert food.abstract


@pytest.mark.parametrize(
    ("include", "expected"),
    [
        (_filter("is-a", "fruit"), ["fruit", "apple", "cherry"]),
        (_filter("descendent-of", "fruit"), ["apple", "cherry"]),
        (_filter("is-not-a", "fruit"), ["food", "nut", "peanut"]),
        (_filter("generalizes", "apple"), ["food", "fruit", "apple"]),
        (_filter("regex", "c.*", "code"), ["cherry"]),
        (_filter("regex", ".*ut", "display"), ["nut", "peanut"]),
        (_filter("=", "red", "colour"), ["cherry"]),
        (_filter("in", "apple, nut", "code"), ["apple", "nut"]),
        (_filter("not-in", "green,red", "colour"), ["food", "fruit", "nut", "peanut"]),
        (_filter("exists", "true", "colour"), ["apple", "cherry"]),
        (_filter("=", "nut", "parent"), ["peanut"]),
        (
            {"system": SYSTEM, "concept": [{"code": "nut"}, {"code": "apple", "display": "Apple"}]},
            ["nut", "apple"],
        ),
    ],
)
def test_filters(include: dict[str, Any], expected: list[str]) -> None:
    assert _codes(include) == expected


def test_filters_combine_with_and_and_exclude_removes() -> None:
    both = {
        "system": SYSTEM,
        "filter": [
            {"property": "concept", "op": "is-a", "value": "food"},
            {"property": "colour", "op": "exists", "value": "true"},
        ],
    }
    assert _codes(both) == ["apple", "cherry"]
    assert _codes(_filter("is-a", "food"), exclude=[_filter("is-a", "fruit")]) == [
        "food",
        "nut",
        "peanut",
    ]


def test_active_only_and_imports() -> None:
    inner = {
        "resourceType": "ValueSet",
        "url": "urn:inner",
        "compose": {"include": [_filter("is-a", "fruit")]},
    }
    outer = {
        "resourceType": "ValueSet",
        "url": "urn:outer",
        "compose": {"include": [{"valueSet": ["urn:inner"]}]},
    }
    sources = _sources(inner, outer)
    assert [m.code for m in expand(outer, sources)] == ["fruit", "apple", "cherry"]
    assert [m.code for m in expand(outer, sources, active_only=True)] == ["fruit", "apple"]
    narrowed = {
        "resourceType": "ValueSet",
        "url": "urn:narrow",
        "compose": {
            "include": [
                {
                    "system": SYSTEM,
                    "valueSet": ["urn:inner"],
                    "filter": [{"property": "colour", "op": "=", "value": "green"}],
                }
            ]
        },
    }
    assert [m.code for m in expand(narrowed, sources)] == ["apple"]


def test_expansion_errors() -> None:
    loop = {
        "resourceType": "ValueSet",
        "url": "urn:loop",
        "compose": {"include": [{"valueSet": ["urn:loop"]}]},
    }
    with pytest.raises(Unprocessable):
        expand(loop, _sources(loop))
    with pytest.raises(NotFound):
        _codes({"system": "urn:unknown"})
    with pytest.raises(NotFound):
        _codes({"valueSet": ["urn:unknown"]})
    with pytest.raises(Invalid):
        _codes(_filter("fuzzy", "x"))
    with pytest.raises(Invalid):
        _codes({})
    with pytest.raises(Unprocessable):
        _codes({"system": "http://unitsofmeasure.org"})


def test_text_filter_on_words_and_code_prefix() -> None:
    value_set = {
        "resourceType": "ValueSet",
        "url": "urn:vs",
        "compose": {"include": [{"system": SYSTEM}]},
    }
    members = expand(value_set, _sources())
    assert [m.code for m in text_filter(members, "gre app")] == ["apple"]
    assert [m.code for m in text_filter(members, "pea")] == ["peanut"]


def test_validation_verdicts() -> None:
    index = index_from_resource(CODE_SYSTEM)
    assert in_code_system(index, "apple").result
    assert in_code_system(index, "apple", "green APPLE").result  # case-insensitive system
    wrong = in_code_system(index, "apple", "Pear")
    assert not wrong.result
    assert wrong.display == "Green apple"
    assert not in_code_system(index, "food").result
    assert in_code_system(index, "food", abstract=True).result
    retired = in_code_system(index, "cherry")
    assert retired.result
    assert retired.message is not None
    assert "inactive" in retired.message
    assert not in_code_system(index, "kiwi").result
    value_set = {
        "resourceType": "ValueSet",
        "url": "urn:vs",
        "compose": {"include": [_filter("is-a", "nut")]},
    }
    members = expand(value_set, _sources())
    assert in_value_set(members, "urn:vs", "peanut", SYSTEM).result
    assert in_value_set(members, "urn:vs", "peanut", None).result
    assert not in_value_set(members, "urn:vs", "apple", SYSTEM).result


MAP: dict[str, Any] = {
    "resourceType": "ConceptMap",
    "url": "urn:map",
    "sourceUri": "urn:vs:a",
    "targetUri": "urn:vs:b",
    "group": [
        {
            "source": "urn:a",
            "target": "urn:b",
            "element": [
                {"code": "1", "target": [{"code": "one", "equivalence": "equivalent"}]},
                {
                    "code": "2",
                    "target": [
                        {"code": "two", "equivalence": "wider"},
                        {"code": "deux", "equivalence": "narrower"},
                    ],
                },
                {"code": "3", "target": [{"equivalence": "unmatched"}]},
            ],
            "unmapped": {"mode": "provided"},
        }
    ],
}


def test_translation_forward_reverse_and_unmapped() -> None:
    one = translate([MAP], Request("1", "urn:a"))
    assert [(m.code, m.equivalence, m.system) for m in one] == [("one", "equivalent", "urn:b")]
    two = translate([MAP], Request("2", "urn:a"))
    assert [m.equivalence for m in two] == ["wider", "narrower"]
    back = translate([MAP], Request("two", "urn:b", reverse=True))
    assert [(m.code, m.equivalence) for m in back] == [("2", "narrower")]
    assert not translate([MAP], Request("3", "urn:a"))[0].positive
    provided = translate([MAP], Request("9", "urn:a"))
    assert [(m.code, m.equivalence) for m in provided] == [("9", "equal")]
    assert translate([MAP], Request("1", "urn:other")) == []
    assert translate([MAP], Request("1", "urn:a", target_system="urn:c")) == []
    assert candidate_maps([MAP], Request("1", source_value_set="urn:vs:a")) == [MAP]
    assert candidate_maps([MAP], Request("1", target_value_set="urn:vs:x")) == []


def test_shipped_content_wins_unless_another_version_is_asked_for() -> None:
    url = "http://hl7.org/fhir/ValueSet/administrative-gender"
    edited = {
        "resourceType": "ValueSet",
        "url": url,
        "version": "9",
        "compose": {"include": [{"system": SYSTEM}]},
    }
    gender = "http://hl7.org/fhir/administrative-gender"
    fragment = {
        "resourceType": "CodeSystem",
        "url": gender,
        "version": "9",
        "content": "fragment",
        "concept": [{"code": "male"}],
    }
    sources = _sources(edited, fragment)
    shipped_vs = sources.value_set(url)
    assert shipped_vs is not None
    assert shipped_vs.get("version") == "4.0.1"
    assert sources.value_set(url, "9") is edited
    shipped_cs = sources.code_system(gender)
    assert shipped_cs is not None
    assert shipped_cs.complete
    stored_cs = sources.code_system(gender, "9")
    assert stored_cs is not None
    assert not stored_cs.complete
