"""Result shaping (https://hl7.org/fhir/R4/search.html#return): ``_sort``, keyset paging that
neither repeats nor skips while resources are created between pages, ``_total``,
``_summary``, ``_elements``, system-level search, and conditional create on full search."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import assert_outcome, entries_of, link
from tests.integration.test_search_engine_support import (
    Batch,
    Resource,
    date_range,
    fold,
    match_ids,
)

pytestmark = pytest.mark.integration

FAMILIES = ["Zeta", "alpha", "Émile", "beta", "Alpha", "delta", None, "gamma", "Beta", "epsilon"]
SUBSETTED = "SUBSETTED"


def _patients(client: httpx.Client, count: int = 20, seed: int = 7) -> Batch:
    batch = Batch(client)
    rng = random.Random(seed)
    for n in range(count):
        family = FAMILIES[n % len(FAMILIES)]
        born = f"{1950 + rng.randrange(40)}-{rng.randrange(1, 13):02d}"
        body: dict[str, Any] = {"resourceType": "Patient", "birthDate": born}
        if family is not None:
            body["name"] = [{"family": family}, {"family": rng.choice(FAMILIES[:6])}]
        batch.create(body)
    return batch


def _sort_value(patient: Resource, key: str) -> Any:
    """The value a resource sorts by: of several, the first in the asked direction."""
    descending = key.startswith("-")
    name = key.lstrip("-")
    pick = max if descending else min
    if name == "family":
        values = [fold(n["family"]) for n in patient.get("name", []) if "family" in n]
        return pick(values) if values else None
    if name == "birthdate":
        low, high = date_range(patient["birthDate"])
        return high if descending else low
    if name == "_lastUpdated":
        return datetime.fromisoformat(patient["meta"]["lastUpdated"].replace("Z", "+00:00"))
    return patient["id"]


def _expected_order(patients: list[Resource], keys: list[str]) -> list[str]:
    def compare(a: Resource, b: Resource) -> int:
        for key in keys:
            left, right = _sort_value(a, key), _sort_value(b, key)
            if left == right:
                continue
            if left is None or right is None:  # no value: last, whichever the direction
                return 1 if left is None else -1
            order = -1 if left < right else 1
            return -order if key.startswith("-") else order
        return -1 if a["id"] < b["id"] else (1 if a["id"] > b["id"] else 0)

    return [p["id"] for p in sorted(patients, key=functools.cmp_to_key(compare))]


@pytest.mark.parametrize("sort", ["-_lastUpdated", "_id", "_lastUpdated,-_id"])
def test_sort_follows_the_keys_across_pages(client: httpx.Client, sort: str) -> None:
    batch = _patients(client)
    expected = _expected_order(batch.of_type("Patient"), sort.split(","))
    assert batch.ids("Patient", [("_sort", sort), ("_count", "6")]) == expected


@pytest.mark.parametrize("sort", ["family", "-family", "birthdate", "-birthdate", "_id,-family"])
def test_sort_by_a_phi_parameter_is_refused(client: httpx.Client, sort: str) -> None:
    """Names and birth dates are stored as blind indexes, which have no order."""
    response = client.get("/Patient", params={"_sort": sort})
    assert_outcome(response, 400, error_codes.PHI_SORT_UNSUPPORTED)


def test_pages_never_repeat_or_skip_while_resources_are_created(client: httpx.Client) -> None:
    for sort in (None, "_id", "-_lastUpdated"):
        batch = _patients(client, count=25, seed=11)
        originals = {p["id"] for p in batch.of_type("Patient")}
        params = [("_count", "7"), *([("_sort", sort)] if sort else [])]
        page = batch.bundle("Patient", params)
        seen = match_ids(page)
        next_url = link(page, "next")
        extra = 0
        while next_url is not None:
            for _ in range(4):  # new resources sorting anywhere, before or after the cursor
                family = random.Random(extra).choice(["Aaron", "Zz", "Mm"])
                batch.create(
                    {"resourceType": "Patient", "name": [{"family": family}], "birthDate": "1970"}
                )
                extra += 1
            page = client.get(next_url).json()
            seen += match_ids(page)
            next_url = link(page, "next")
        assert len(seen) == len(set(seen)), sort
        assert originals <= set(seen), sort


def test_totals(client: httpx.Client) -> None:
    batch = _patients(client, count=12)
    expected = len(batch.expect("Patient", lambda p: "name" in p))
    params = [("name:missing", "false"), ("_count", "5")]
    accurate = batch.bundle("Patient", [*params, ("_total", "accurate")])
    assert accurate["total"] == expected
    estimate = batch.bundle("Patient", [*params, ("_total", "estimate")])
    assert isinstance(estimate["total"], int)
    assert estimate["total"] >= 0
    assert "total" not in batch.bundle("Patient", [*params, ("_total", "none")])
    counted = batch.bundle("Patient", [*params, ("_summary", "count")])
    assert counted["total"] == expected
    assert entries_of(counted, "match") == []
    assert link(accurate, "next") is not None
    following = client.get(link(accurate, "next") or "").json()
    assert following["total"] == expected


def test_counts_follow_updates_deletes_and_every_test(client: httpx.Client) -> None:
    """A count is made from the index rows of one of the search's tests (not the resource
    table): a recoded resource counts under its new code only, a deleted one not at all, one
    with two matching codings once, and the other tests still apply."""
    batch = Batch(client)
    loinc = "http://loinc.org"

    def observation(*codes: str, value: float = 1.0) -> Resource:
        coding = [{"system": loinc, "code": code} for code in codes]
        return batch.create(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": coding},
                "valueQuantity": {"value": value, "unit": "g"},
            }
        )

    plain = [observation("c1", value=v) for v in (1, 2, 3)]
    observation("c1", "c1")  # two matching codings
    recoded = observation("c1")
    gone = observation("c1")
    other = observation("c2", value=5)
    recoded["code"]["coding"][0]["code"] = "c2"
    assert client.put(f"/Observation/{recoded['id']}", json=recoded).status_code == 200
    assert client.delete(f"/Observation/{gone['id']}").status_code in (200, 204)

    def count(*params: tuple[str, str]) -> int:
        total: int = batch.bundle("Observation", [*params, ("_summary", "count")])["total"]
        accurate = batch.bundle("Observation", [*params, ("_total", "accurate")])["total"]
        assert accurate == total, params
        return total

    assert count(("code", f"{loinc}|c1")) == len(plain) + 1  # twice counts once
    assert count(("code", f"{loinc}|c2")) == 2  # recoded and other
    assert count(("code", "c1,c2")) == len(plain) + 3
    assert count(("code", "c1"), ("value-quantity", "gt1.5")) == 2
    assert count(("value-quantity", "gt1.5"), ("code", "c1")) == 2
    assert count(("code", "c2"), ("_id", other["id"])) == 1
    assert count(("code", "c1"), ("_lastUpdated", "gt2000-01-01")) == len(plain) + 1
    assert count(("code:not", "c1")) == 2


def _tags(resource: Resource) -> list[str]:
    return [t.get("code", "") for t in resource.get("meta", {}).get("tag", [])]


def test_summary_and_elements(client: httpx.Client) -> None:
    batch = Batch(client)
    batch.create(
        {
            "resourceType": "Patient",
            "text": {
                "status": "generated",
                "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>',
            },
            "name": [{"family": "Summary"}],
            "gender": "female",
            "maritalStatus": {"text": "single"},
            "photo": [{"contentType": "image/png", "data": "aGk="}],
        }
    )
    batch.create(
        {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "x"},
            "valueString": "v",
        }
    )

    def only(params: list[tuple[str, str]], path: str = "Patient") -> Resource:
        resources: list[Resource] = [
            e["resource"] for e in entries_of(batch.bundle(path, params), "match")
        ]
        assert len(resources) == 1
        return resources[0]

    full = only([])
    assert SUBSETTED not in _tags(full)
    summary = only([("_summary", "true")])
    assert set(summary) == {"resourceType", "id", "meta", "name", "gender"}
    assert SUBSETTED in _tags(summary)
    text = only([("_summary", "text")])
    assert set(text) == {"resourceType", "id", "meta", "text"}
    data = only([("_summary", "data")])
    assert set(data) == set(full) - {"text"}
    assert SUBSETTED in _tags(data)
    elements = only([("_elements", "gender,photo")])
    assert set(elements) == {"resourceType", "id", "meta", "gender", "photo"}
    observation = only([("_elements", "valueString")], "Observation")
    assert set(observation) == {"resourceType", "id", "meta", "status", "code", "valueString"}


def test_system_search(client: httpx.Client) -> None:
    batch = Batch(client)
    patient = batch.create({"resourceType": "Patient"})
    observation = batch.create(
        {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
    )
    practitioner = batch.create({"resourceType": "Practitioner"})
    keys: Callable[[dict[str, Any]], list[str]] = lambda b: sorted(  # noqa: E731
        f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in entries_of(b, "match")
    )
    every = batch.bundle("", [])
    assert keys(every) == sorted(
        f"{r['resourceType']}/{r['id']}" for r in (patient, observation, practitioner)
    )
    two = batch.bundle("", [("_type", "Patient,Observation")])
    assert keys(two) == sorted([f"Patient/{patient['id']}", f"Observation/{observation['id']}"])
    form = f"_type=Practitioner&_tag={batch.tag}"
    posted = client.post(
        "/_search",
        content=form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert posted.status_code == 200, posted.text
    assert keys(posted.json()) == [f"Practitioner/{practitioner['id']}"]
    paged = batch.ids("", [("_count", "1"), ("_sort", "_lastUpdated")])
    assert paged == [patient["id"], observation["id"], practitioner["id"]]
    assert client.get("/", params={"_type": "Food"}).status_code == 404


def test_post_search_pages_continue_with_get(client: httpx.Client) -> None:
    batch = _patients(client, count=5)
    form = f"_tag={batch.tag}&_count=2&_sort=-_lastUpdated"
    response = client.post(
        "/Patient/_search",
        content=form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    ids = match_ids(response.json())
    next_url = link(response.json(), "next")
    while next_url:
        page = client.get(next_url).json()
        ids += match_ids(page)
        next_url = link(page, "next")
    assert ids == _expected_order(batch.of_type("Patient"), ["-_lastUpdated"])


def test_a_cursor_is_bound_to_its_sort(client: httpx.Client) -> None:
    batch = _patients(client, count=5)
    page = batch.bundle("Patient", [("_count", "2"), ("_sort", "_id")])
    cursor = (link(page, "next") or "").split("_cursor=")[1]
    other = client.get("/Patient", params={"_sort": "-_lastUpdated", "_cursor": cursor})
    assert_outcome(other, 400, error_codes.BAD_PARAMETER)


def test_conditional_create_uses_the_whole_engine(client: httpx.Client) -> None:
    batch = Batch(client)
    body = {"resourceType": "Patient", "name": [{"family": "Condé"}], "birthDate": "1980-02-03"}
    header = {"If-None-Exist": f"family=conde&birthdate=1980-02-03&_tag={batch.tag}"}
    meta = {"tag": [{"system": "urn:nutrivision:test-batch", "code": batch.code}]}
    first = client.post("/Patient", json={**body, "meta": meta}, headers=header)
    assert first.status_code == 201
    again = client.post("/Patient", json={**body, "meta": meta}, headers=header)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    batch.create(body)
    twice = client.post("/Patient", json={**body, "meta": meta}, headers=header)
    assert_outcome(twice, 412, error_codes.CONDITIONAL_MULTIPLE)
    chained = {"If-None-Exist": f"_has:Observation:subject:code=none&_tag={batch.tag}"}
    assert client.post("/Patient", json=body, headers=chained).status_code == 201
