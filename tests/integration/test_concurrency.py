"""Concurrent writes: If-Match lets exactly one of a race win; without it none is lost."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from threading import Barrier
from typing import Any

import httpx
import pytest

from resources import error_codes
from tests.integration.conftest import ClientFactory
from tests.integration.fhir_http import (
    all_pages,
    assert_outcome,
    create_patient,
    patient,
    unique_system,
)

pytestmark = pytest.mark.integration

RACERS = 6


def race(
    new_client: ClientFactory, count: int, request: Callable[[httpx.Client, int], httpx.Response]
) -> list[httpx.Response]:
    """Send ``count`` requests at once, each from its own client (own connection)."""
    clients = [new_client() for _ in range(count)]
    start = Barrier(count)

    def send(index: int) -> httpx.Response:
        start.wait(timeout=30)
        return request(clients[index], index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(send, range(count)))


def versions_of(client: httpx.Client, type_: str, id_: str) -> list[dict[str, Any]]:
    """Every history entry of one resource, oldest first."""
    pages = all_pages(client, f"/{type_}/{id_}/_history?_count=50")
    return [entry for page in pages for entry in page["entry"]][::-1]


def test_same_if_match_from_six_clients_lets_exactly_one_win(
    client: httpx.Client, new_client: ClientFactory
) -> None:
    id_ = create_patient(client, gender="unknown")["id"]
    genders = ["male", "female", "other", "unknown", "male", "female"]

    def update(http: httpx.Client, index: int) -> httpx.Response:
        body = patient(id=id_, gender=genders[index], birthDate=f"19{index + 10}-01-01")
        return http.put(f"/Patient/{id_}", json=body, headers={"If-Match": 'W/"1"'})

    responses = race(new_client, RACERS, update)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 412: RACERS - 1}
    for response in responses:
        if response.status_code == 412:
            assert_outcome(response, 412, error_codes.VERSION_CONFLICT)
    winner = next(r for r in responses if r.status_code == 200).json()
    history = versions_of(client, "Patient", id_)
    assert [e["response"]["etag"] for e in history] == ['W/"1"', 'W/"2"']
    assert history[1]["resource"] == winner
    assert client.get(f"/Patient/{id_}").json() == winner


def test_concurrent_updates_without_if_match_lose_nothing(
    client: httpx.Client, new_client: ClientFactory
) -> None:
    writers = 8
    system = unique_system()
    id_ = create_patient(client)["id"]

    def update(http: httpx.Client, index: int) -> httpx.Response:
        body = patient(id=id_, identifier=[{"system": system, "value": f"writer-{index}"}])
        return http.put(f"/Patient/{id_}", json=body)

    responses = race(new_client, writers, update)
    assert [r.status_code for r in responses] == [200] * writers
    versions = sorted(int(r.json()["meta"]["versionId"]) for r in responses)
    assert versions == list(range(2, writers + 2))
    history = versions_of(client, "Patient", id_)
    assert [int(e["resource"]["meta"]["versionId"]) for e in history] == list(range(1, writers + 2))
    written = {e["resource"]["identifier"][0]["value"] for e in history[1:]}
    assert written == {f"writer-{index}" for index in range(writers)}
    current = client.get(f"/Patient/{id_}")
    assert current.headers["ETag"] == f'W/"{writers + 1}"'


def test_concurrent_versions_have_ordered_last_updated(
    client: httpx.Client, new_client: ClientFactory
) -> None:
    writers = 8
    id_ = create_patient(client)["id"]

    def update(http: httpx.Client, index: int) -> httpx.Response:
        return http.put(f"/Patient/{id_}", json=patient(id=id_, active=index % 2 == 0))

    responses = race(new_client, writers, update)
    assert [r.status_code for r in responses] == [200] * writers
    history = versions_of(client, "Patient", id_)
    stamps = [datetime.fromisoformat(e["resource"]["meta"]["lastUpdated"]) for e in history]
    assert stamps == sorted(stamps), "a later version must not be older than an earlier one"


def test_concurrent_patches_each_see_the_previous_version(
    client: httpx.Client, new_client: ClientFactory
) -> None:
    writers = 6
    id_ = create_patient(client, name=[{"family": "Race", "given": ["first"]}])["id"]

    def add_given(http: httpx.Client, index: int) -> httpx.Response:
        operations = [{"op": "add", "path": "/name/0/given/-", "value": f"g{index}"}]
        headers = {"Content-Type": "application/json-patch+json"}
        return http.patch(f"/Patient/{id_}", json=operations, headers=headers)

    responses = race(new_client, writers, add_given)
    assert [r.status_code for r in responses] == [200] * writers
    given = client.get(f"/Patient/{id_}").json()["name"][0]["given"]
    assert sorted(given) == sorted(["first", *(f"g{index}" for index in range(writers))])


def test_concurrent_deletes_all_succeed_and_delete_once(
    client: httpx.Client, new_client: ClientFactory
) -> None:
    id_ = create_patient(client)["id"]

    def delete(http: httpx.Client, _index: int) -> httpx.Response:
        return http.delete(f"/Patient/{id_}")

    responses = race(new_client, RACERS, delete)
    assert [r.status_code for r in responses] == [200] * RACERS
    history = versions_of(client, "Patient", id_)
    assert [e["request"]["method"] for e in history] == ["POST", "DELETE"]
    assert client.get(f"/Patient/{id_}").status_code == 410
