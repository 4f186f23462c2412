"""Blind string values as one row each, their prefix keys in an array under a GIN index.

Starts-with searches on blinded names and addresses find exactly the patients that a plain
prefix comparison of the written values finds (computed here, in Python), and the table holds
one row per stored value, with no plain text in it.
"""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

import httpx
import psycopg
import pytest

from fhir_server.embedded import ServiceUrls
from resources.crypto import protection
from tests.integration.phi.phi_data import libpq

pytestmark = pytest.mark.integration

FAMILIES = ("Ostrander", "Ostrowski", "Östlund", "Oster", "Ost", "Brandt")
GIVENS = (("Ana", "Maria"), ("Anabel",), ("Marianne", "Ana"), ("Zoë",), ("Mario",), ("Anna",))


def _plain(text: str) -> str:
    """Lower case without accents: an independent version of the server's normalisation for
    the letters used here."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


@pytest.fixture(scope="module")
def patients(base_url: str) -> tuple[str, dict[str, dict[str, Any]]]:
    tag = uuid.uuid4().hex
    word = uuid.uuid4().hex[:4]
    made: dict[str, dict[str, Any]] = {}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for n, (family, given) in enumerate(zip(FAMILIES, GIVENS, strict=True)):
            body = {
                "resourceType": "Patient",
                "meta": {"tag": [{"system": "urn:nutrivision:test-batch", "code": tag}]},
                "name": [{"family": f"{family}{word}", "given": list(given)}],
                "address": [{"city": f"Kettleby{word}{n % 2}"}],
            }
            response = client.post("/Patient", json=body)
            assert response.status_code == 201, response.text
            made[response.json()["id"]] = body
    return tag, made


def _found(client: httpx.Client, tag: str, params: dict[str, str]) -> set[str]:
    response = client.get("/Patient", params={**params, "_tag": tag, "_count": "100"})
    assert response.status_code == 200, response.text
    return {e["resource"]["id"] for e in response.json().get("entry", [])}


def _names(body: dict[str, Any], code: str) -> list[str]:
    name = body["name"][0]
    family, given = [name["family"]], list(name["given"])
    return {"family": family, "given": given, "name": family + given}[code]


def test_starts_with_finds_exactly_the_patients_a_plain_comparison_finds(
    client: httpx.Client, patients: tuple[str, dict[str, dict[str, Any]]]
) -> None:
    tag, made = patients
    word = next(iter(made.values()))["name"][0]["family"][-4:]
    searches = [
        ("family", v) for v in ("o", "Ost", "OSTR", "ostra", "Öst", "ost" + "x", "Oster" + word)
    ]
    searches += [("given", v) for v in ("a", "an", "Ana", "anab", "mari", "Mario", "zoe", "z")]
    searches += [("name", v) for v in ("mar", "Ost", "b", "anna")]
    for code, value in searches:
        expected = {
            id_
            for id_, body in made.items()
            if any(_plain(n).startswith(_plain(value)) for n in _names(body, code))
        }
        assert _found(client, tag, {code: value}) == expected, (code, value)
    assert _found(client, tag, {"family": "ost", "given": "ana"}) == {
        id_
        for id_, body in made.items()
        if _plain(body["name"][0]["family"]).startswith("ost")
        and any(_plain(g).startswith("ana") for g in body["name"][0]["given"])
    }
    two_cities = {"address-city": f"kettleby{word}"}
    assert _found(client, tag, two_cities) == set(made)


def test_one_row_per_value_and_no_plain_text(
    services: ServiceUrls, patients: tuple[str, dict[str, dict[str, Any]]]
) -> None:
    _, made = patients
    installed = protection.current()
    assert installed is not None
    with psycopg.connect(libpq(services.database_url)) as conn:
        rows = conn.execute(
            "SELECT resource_id, param, code, text, prefixes FROM search_token"
            " WHERE resource_type = 'Patient' AND resource_id = ANY(%s)"
            " AND prefixes IS NOT NULL",
            (list(made),),
        ).fetchall()
        index = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'search_token_prefixes'"
        ).fetchone()
    assert index is not None
    assert "gin (prefixes)" in index[0]
    for id_, body in made.items():
        name, city = body["name"][0], body["address"][0]["city"]
        values = [("family", name["family"]), ("address-city", city)]
        values += [("given", g) for g in name["given"]]
        digests = {
            installed.blind.exact("address" if p == "address-city" else "name", v): (p, v)
            for p, v in values
        }
        own = [r for r in rows if r[0] == id_]
        assert sorted((r[1], r[3]) for r in own) == sorted((p, d) for d, (p, _) in digests.items())
        for _, param, code, text, keys in own:
            value = _plain(digests[text][1])
            domain = "address" if param == "address-city" else "name"
            assert code is None
            assert (
                keys
                == [installed.blind.prefix_key(domain, value[:n]) for n in range(1, 25)][
                    : len(value)
                ]
            )
        dumped = repr(own).lower()
        assert not any(_plain(v) in dumped for _, v in values)
