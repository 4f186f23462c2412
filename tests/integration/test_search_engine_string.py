"""String search (https://hl7.org/fhir/R4/search.html#string): by default a case- and
accent-insensitive starts-with on any part of the value; ``:exact`` the whole value, case and
accents significant; ``:contains`` anywhere in it; ``:missing``; comma = OR, repeat = AND."""

from __future__ import annotations

import functools

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import assert_outcome
from tests.integration.test_search_engine_support import Batch, Resource, fold

pytestmark = pytest.mark.integration

NAMES = [
    {"family": "Müller", "given": ["Élodie"]},
    {"family": "MULLER", "given": ["Eloise", "Anne"], "prefix": ["Dr"]},
    {"family": "Martínez", "given": ["Ana"], "text": "Ana Martínez"},
    {"family": "a_b%c", "given": ["Percy"]},
    {"family": "ab", "given": ["Underscore"]},
    {"given": ["Nofamily"]},
]


FAMILIES = ["Müller", "MULLER", "Martínez", "a_b%c", "ab"]
"""The families of ``NAMES``, as Organization names (plain text, unlike Patient names)."""


def _patients(client: httpx.Client) -> Batch:
    batch = Batch(client)
    for name in NAMES:
        batch.create({"resourceType": "Patient", "name": [name]})
    batch.create({"resourceType": "Patient", "gender": "unknown"})
    return batch


def _family(patient: Resource) -> list[str]:
    return [n["family"] for n in patient.get("name", []) if "family" in n]


def _name_parts(patient: Resource) -> list[str]:
    parts: list[str] = []
    for name in patient.get("name", []):
        for key in ("family", "text"):
            if key in name:
                parts.append(name[key])
        for key in ("given", "prefix", "suffix"):
            parts += name.get(key, [])
    return parts


@pytest.mark.parametrize(
    "value", ["mul", "MÜL", "Müller", "m", "martinez", "mart", "x", "a_", "a_b%"]
)
def test_default_is_case_and_accent_insensitive_starts_with(
    client: httpx.Client, value: str
) -> None:
    batch = _patients(client)
    expected = batch.expect(
        "Patient", lambda p: any(fold(f).startswith(fold(value)) for f in _family(p))
    )
    assert sorted(batch.ids("Patient", [("family", value)])) == expected


@pytest.mark.parametrize("value", ["Müller", "muller", "MULLER", "Mül", "a_b%c"])
def test_exact_compares_the_whole_value_as_written(client: httpx.Client, value: str) -> None:
    batch = _patients(client)
    expected = batch.expect("Patient", lambda p: value in _family(p))
    assert sorted(batch.ids("Patient", [("family:exact", value)])) == expected


@pytest.mark.parametrize("value", ["ll", "LL", "ín", "_b%", "%", "b%c", "zz"])
def test_contains_matches_anywhere_literally(client: httpx.Client, value: str) -> None:
    # Patient names are blind indexes (no :contains); an Organization's name is plain text.
    batch = Batch(client)
    for family in FAMILIES:
        batch.create({"resourceType": "Organization", "name": family})
    expected = batch.expect("Organization", lambda o: fold(value) in fold(str(o["name"])))
    assert sorted(batch.ids("Organization", [("name:contains", value)])) == expected


def test_contains_on_a_phi_parameter_is_refused(client: httpx.Client) -> None:
    response = client.get("/Patient", params={"family:contains": "ll"})
    assert_outcome(response, 400, error_codes.PHI_SEARCH_UNSUPPORTED)


def _name_starts(value: str, patient: Resource) -> bool:
    return any(fold(part).startswith(fold(value)) for part in _name_parts(patient))


def test_name_searches_every_part_of_the_name(client: httpx.Client) -> None:
    batch = _patients(client)
    for value in ("ana", "dr", "elo", "nofam", "percy m"):
        expected = batch.expect("Patient", functools.partial(_name_starts, value))
        assert sorted(batch.ids("Patient", [("name", value)])) == expected, value


def test_comma_is_or_and_repetition_is_and(client: httpx.Client) -> None:
    batch = _patients(client)
    either = batch.expect(
        "Patient",
        lambda p: any(fold(f).startswith(("mart", "ab")) for f in _family(p)),
    )
    assert sorted(batch.ids("Patient", [("family", "mart,ab")])) == either
    both = batch.expect(
        "Patient",
        lambda p: (
            any(fold(x).startswith("mul") for x in _family(p))
            and any(fold(x).startswith("anne") for x in _name_parts(p))
        ),
    )
    assert sorted(batch.ids("Patient", [("family", "mul"), ("name", "anne")])) == both
    assert len(both) == 1


def test_missing(client: httpx.Client) -> None:
    batch = _patients(client)
    without = batch.expect("Patient", lambda p: not _family(p))
    assert sorted(batch.ids("Patient", [("family:missing", "true")])) == without
    with_family = batch.expect("Patient", lambda p: bool(_family(p)))
    assert sorted(batch.ids("Patient", [("family:missing", "false")])) == with_family


def test_an_update_replaces_the_indexed_values(client: httpx.Client) -> None:
    batch = Batch(client)
    patient = batch.create({"resourceType": "Patient", "name": [{"family": "Before"}]})
    changed = {**patient, "name": [{"family": "After"}]}
    assert client.put(f"/Patient/{patient['id']}", json=changed).status_code == 200
    assert batch.ids("Patient", [("family", "before")]) == []
    assert batch.ids("Patient", [("family", "after")]) == [patient["id"]]
    client.delete(f"/Patient/{patient['id']}")
    assert batch.ids("Patient", [("family", "after")]) == []
