"""Operation parameters: checked against a definition, typed from the query string."""

from __future__ import annotations

from typing import Any

import pytest

from operations.parameters import Parameters, check, from_body, from_query
from resources.errors import Invalid

DEFINITION: dict[str, Any] = {
    "code": "demo",
    "parameter": [
        {"name": "text", "use": "in", "min": 1, "max": "1", "type": "string"},
        {"name": "count", "use": "in", "min": 0, "max": "1", "type": "integer"},
        {"name": "persist", "use": "in", "min": 0, "max": "1", "type": "boolean"},
        {"name": "item", "use": "in", "min": 0, "max": "*", "type": "CodeableConcept"},
        {"name": "patient", "use": "in", "min": 0, "max": "1", "type": "Patient"},
        {"name": "return", "use": "out", "min": 1, "max": "1", "type": "Bundle"},
    ],
}


def test_query_values_are_typed_from_the_definition() -> None:
    params = from_query(
        DEFINITION, [("text", "milk"), ("count", "3"), ("persist", "true"), ("_format", "json")]
    )
    assert params.entries == (
        {"name": "text", "valueString": "milk"},
        {"name": "count", "valueInteger": 3},
        {"name": "persist", "valueBoolean": True},
    )
    assert check(DEFINITION, params).value("count") == 3


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ([("count", "three")], "integer"),
        ([("persist", "yes")], "true or false"),
        ([("item", "x")], "POST"),
    ],
)
def test_bad_query_values_are_refused(query: list[tuple[str, str]], fragment: str) -> None:
    with pytest.raises(Invalid, match=fragment):
        from_query(DEFINITION, query)


def test_cardinality_and_names_are_checked() -> None:
    with pytest.raises(Invalid, match="requires the parameter 'text'"):
        check(DEFINITION, Parameters())
    twice = Parameters(({"name": "text", "valueString": "a"}, {"name": "text", "valueString": "b"}))
    with pytest.raises(Invalid, match="at most 1"):
        check(DEFINITION, twice)
    with pytest.raises(Invalid, match="no input parameter 'return'"):
        check(DEFINITION, Parameters(({"name": "return", "valueString": "a"},)))


def test_a_resource_body_fills_the_single_resource_input() -> None:
    params = from_body(DEFINITION, {"resourceType": "Patient", "id": "p"}, Parameters())
    assert params.value("patient") == {"resourceType": "Patient", "id": "p"}
    with pytest.raises(Invalid, match="takes a Parameters resource"):
        from_body(DEFINITION, {"resourceType": "Observation"}, Parameters())


def test_a_parameters_body_keeps_order_and_adds_the_query() -> None:
    body = {"resourceType": "Parameters", "parameter": [{"name": "item", "valueString": "a"}]}
    query = Parameters(({"name": "text", "valueString": "q"},))
    params = from_body(DEFINITION, body, query)
    assert params.values("item") == ["a"]
    assert params.value("text") == "q"
    assert params.has("item")
    assert not params.has("count")
    with pytest.raises(Invalid, match="list of objects"):
        from_body(DEFINITION, {"resourceType": "Parameters", "parameter": [1]}, query)
