"""``$everything`` pieces that need no server: compartment members per type, cursors, options."""

from __future__ import annotations

import pytest

from operations.everything import (
    decode_cursor,
    encode_cursor,
    member_types,
    read_options,
)
from operations.parameters import Parameters
from resources.errors import Invalid
from resources.search.parse import parse_search
from resources.search.query import InCompartment
from resources.search.registry import default_registry

REGISTRY = default_registry()


def test_members_are_the_patient_compartment_types() -> None:
    members = member_types(REGISTRY, "Patient", None)
    assert {"Observation", "Encounter", "Condition", "Claim", "Patient"} <= set(members)
    assert "Practitioner" not in members
    assert "Medication" not in members
    assert member_types(REGISTRY, "Patient", frozenset({"Observation", "Nope"})) == ["Observation"]


def test_a_search_over_several_types_links_each_through_its_own_parameters() -> None:
    query = parse_search(("Flag", "Observation"), [], REGISTRY, compartment=("Patient", "p"))
    (restriction,) = query.where.items
    assert isinstance(restriction, InCompartment)
    assert dict(restriction.members) == {
        "Flag": ("patient",),
        "Observation": ("subject", "performer"),
    }


def test_cursor_round_trip_and_tampering() -> None:
    assert decode_cursor(encode_cursor(["a", None, "c"])) == ["a", None, "c"]
    with pytest.raises(Invalid):
        decode_cursor("!!!")
    with pytest.raises(Invalid):
        decode_cursor(encode_cursor([]).replace("W", "e") + "e30")


def test_options() -> None:
    params = Parameters(
        (
            {"name": "_type", "valueString": "Observation, Encounter"},
            {"name": "_count", "valueInteger": 5000},
            {"name": "_cursor", "valueString": "abc"},
        )
    )
    opts = read_options(params)
    assert opts.types == frozenset({"Observation", "Encounter"})
    assert opts.count == 1000
    assert opts.cursor == "abc"
    assert ("_cursor", "abc") not in opts.echo
    with pytest.raises(Invalid):
        read_options(Parameters(({"name": "_count", "valueInteger": 0},)))
