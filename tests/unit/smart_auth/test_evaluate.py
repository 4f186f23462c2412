"""Restrictions tested on one resource: the node kinds access restrictions are made of."""

from __future__ import annotations

from typing import Any

import pytest

from resources.search.parse import parse_search
from resources.search.query import AllOf, AnyOf, Expr, IdMatch, Not, TypeIn
from resources.search.registry import default_registry
from smart_auth.evaluate import Unevaluable, references_to, satisfies

REGISTRY = default_registry()
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
OBSERVATION: dict[str, Any] = {
    "resourceType": "Observation",
    "id": "o1",
    "status": "final",
    "code": {"coding": [{"code": "no-system"}]},
    "subject": {"reference": "Patient/p1"},
    "performer": [{"reference": "https://elsewhere.org/fhir/Patient/p2"}, {"reference": "#c"}],
    "category": [{"coding": [{"system": CATEGORY, "code": "laboratory"}]}],
}


def where(*params: tuple[str, str]) -> AllOf:
    """The parsed condition of an Observation search."""
    return parse_search(("Observation",), list(params), REGISTRY, strict=True).where


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (where(("category", f"{CATEGORY}|laboratory")), True),
        (where(("category", "laboratory")), True),
        (where(("category", f"{CATEGORY}|vital-signs")), False),
        (where(("category", f"{CATEGORY}|")), True),
        (where(("code", "|no-system")), True),
        (where(("category", "|laboratory")), False),
        (where(("subject", "Patient/p1")), True),
        (where(("subject", "p2")), False),
        (where(("category:not", f"{CATEGORY}|laboratory")), False),
        (IdMatch(("o1", "o2")), True),
        (TypeIn(("Condition",)), False),
        (AnyOf(()), False),
        (AllOf(()), True),
        (Not(IdMatch(("o1",))), False),
    ],
)
def test_satisfies(node: Expr, expected: bool) -> None:
    assert satisfies(node, OBSERVATION, REGISTRY) is expected


@pytest.mark.parametrize(
    "params",
    [
        (("date", "ge2020"),),
        (("category:text", "lab"),),
        (("subject:identifier", "a|b"),),
        (("subject:Patient.name", "x"),),
    ],
)
def test_what_cannot_be_evaluated_says_so(params: tuple[tuple[str, str], ...]) -> None:
    with pytest.raises(Unevaluable):
        satisfies(where(*params), OBSERVATION, REGISTRY)


def test_references_to_reads_relative_and_absolute_references() -> None:
    found = references_to(OBSERVATION, ("subject", "performer"), "Patient", REGISTRY)
    assert found == {"p1", "p2"}
    assert references_to(OBSERVATION, ("subject",), "Group", REGISTRY) == set()
