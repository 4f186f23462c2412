"""Conditional update, delete and patch (``PUT|DELETE|PATCH [base]/[type]?[search]``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import httpx
import pytest

from fhir_server.settings import Settings
from resources import error_codes
from resources.errors import ERROR_CODE_SYSTEM
from tests.integration.conftest import ClientFactory
from tests.integration.fhir_http import (
    assert_outcome,
    create_patient,
    entries_of,
    newest_version,
    patient,
    unique_system,
)

pytestmark = pytest.mark.integration

JSON_PATCH = {"Content-Type": "application/json-patch+json"}


def _identified(system: str, value: str = "42", **fields: Any) -> dict[str, Any]:
    return patient(identifier=[{"system": system, "value": value}], **fields)


def _matches(client: httpx.Client, system: str, value: str = "42") -> list[dict[str, Any]]:
    bundle = client.get("/Patient", params={"identifier": f"{system}|{value}"}).json()
    return [e["resource"] for e in entries_of(bundle, "match")]


def _condition(system: str, value: str = "42") -> dict[str, str]:
    return {"identifier": f"{system}|{value}"}


def _put(client: httpx.Client, system: str, body: dict[str, Any]) -> httpx.Response:
    return client.put("/Patient", params=_condition(system), json=body)


@pytest.fixture
def multiple_deletes(settings: Settings) -> Iterator[None]:
    """Multiple-delete mode for one test: the running app reads the session's settings object
    on every conditional delete."""
    settings.conditional_delete_multiple = True
    try:
        yield
    finally:
        settings.conditional_delete_multiple = False


def test_update_without_match_creates(client: httpx.Client) -> None:
    system = unique_system()
    response = _put(client, system, _identified(system, gender="female"))
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"].endswith(f"/Patient/{created['id']}/_history/1")
    assert [p["id"] for p in _matches(client, system)] == [created["id"]]


def test_update_without_match_creates_with_the_body_id(client: httpx.Client) -> None:
    system = unique_system()
    id_ = f"cu-{system[-12:]}"
    response = _put(client, system, {**_identified(system), "id": id_})
    assert response.status_code == 201, response.text
    assert response.json()["id"] == id_
    assert client.get(f"/Patient/{id_}").json()["identifier"][0]["system"] == system


def test_update_without_match_refuses_the_id_of_another_resource(client: httpx.Client) -> None:
    system = unique_system()
    other = create_patient(client, gender="male")
    before = newest_version(client)
    response = _put(client, system, {**_identified(system), "id": other["id"]})
    assert_outcome(response, 400, error_codes.CONDITIONAL_ID_IN_USE)
    assert newest_version(client) == before
    assert client.get(f"/Patient/{other['id']}").json() == other


def test_update_with_one_match_updates_it(client: httpx.Client) -> None:
    system = unique_system()
    existing = create_patient(client, identifier=[{"system": system, "value": "42"}])
    response = _put(client, system, _identified(system, gender="other"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["meta"]["versionId"], body["gender"]) == (existing["id"], "2", "other")
    assert response.headers["ETag"] == 'W/"2"'
    assert _matches(client, system) == [body]


def test_update_with_one_match_accepts_its_id(client: httpx.Client) -> None:
    system = unique_system()
    existing = create_patient(client, identifier=[{"system": system, "value": "42"}])
    response = _put(client, system, {**_identified(system, active=True), "id": existing["id"]})
    assert response.status_code == 200, response.text
    assert response.json()["active"] is True


def test_update_with_one_match_refuses_another_id(client: httpx.Client) -> None:
    system = unique_system()
    existing = create_patient(client, identifier=[{"system": system, "value": "42"}])
    before = newest_version(client)
    response = _put(client, system, {**_identified(system), "id": "someone-else"})
    assert_outcome(response, 400, error_codes.CONDITIONAL_ID_MISMATCH)
    assert newest_version(client) == before
    assert _matches(client, system) == [existing]


def test_update_with_two_matches_is_412(client: httpx.Client) -> None:
    system = unique_system()
    create_patient(client, identifier=[{"system": system, "value": "42"}])
    create_patient(client, identifier=[{"system": system, "value": "42"}])
    before = newest_version(client)
    response = _put(client, system, _identified(system))
    assert_outcome(response, 412, error_codes.CONDITIONAL_MULTIPLE)
    assert newest_version(client) == before


def test_update_honours_if_match(client: httpx.Client) -> None:
    system = unique_system()
    create_patient(client, identifier=[{"system": system, "value": "42"}])
    stale = client.put(
        "/Patient",
        params=_condition(system),
        json=_identified(system),
        headers={"If-Match": 'W/"9"'},
    )
    assert_outcome(stale, 412, error_codes.VERSION_CONFLICT)
    fresh = client.put(
        "/Patient",
        params=_condition(system),
        json=_identified(system),
        headers={"If-Match": 'W/"1"'},
    )
    assert fresh.status_code == 200, fresh.text


@pytest.mark.parametrize(
    ("params", "nv_code"),
    [
        ({}, error_codes.CONDITIONAL_UNSUPPORTED),
        ({"_format": "json"}, error_codes.CONDITIONAL_UNSUPPORTED),
        ({"no-such-parameter": "x"}, error_codes.UNKNOWN_PARAMETER),
        ({"birthdate": "not-a-date"}, error_codes.BAD_PARAMETER),
    ],
)
def test_bad_conditions_are_400_and_write_nothing(
    client: httpx.Client, params: dict[str, str], nv_code: str
) -> None:
    before = newest_version(client)
    for response in (
        client.put("/Patient", params=params, json=patient()),
        client.delete("/Patient", params=params),
        client.patch("/Patient", params=params, json=[], headers=JSON_PATCH),
    ):
        assert_outcome(response, 400, nv_code)
    assert newest_version(client) == before


def test_concurrent_identical_conditional_updates_create_one(
    client: httpx.Client, new_client: ClientFactory
) -> None:
    racers = 6
    system = unique_system()
    clients = [new_client() for _ in range(racers)]
    start = Barrier(racers)

    def put(http: httpx.Client) -> httpx.Response:
        start.wait(timeout=30)
        return _put(http, system, _identified(system))

    with ThreadPoolExecutor(max_workers=racers) as pool:
        responses = list(pool.map(put, clients))
    assert Counter(r.status_code for r in responses) == {201: 1, 200: racers - 1}
    assert len({r.json()["id"] for r in responses}) == 1
    versions = sorted(int(r.json()["meta"]["versionId"]) for r in responses)
    assert versions == list(range(1, racers + 1))
    assert len(_matches(client, system)) == 1


def test_delete_with_one_match_deletes_it(client: httpx.Client) -> None:
    system = unique_system()
    existing = create_patient(client, identifier=[{"system": system, "value": "42"}])
    other = create_patient(client, identifier=[{"system": system, "value": "43"}])
    response = client.delete("/Patient", params=_condition(system))
    assert response.status_code == 200, response.text
    assert response.json()["issue"][0]["severity"] == "information"
    assert client.get(f"/Patient/{existing['id']}").status_code == 410
    assert client.get(f"/Patient/{other['id']}").status_code == 200
    assert _matches(client, system) == []


def test_delete_without_match_is_200_with_an_outcome(client: httpx.Client) -> None:
    before = newest_version(client)
    response = client.delete("/Patient", params=_condition(unique_system()))
    assert response.status_code == 200, response.text
    issue = response.json()["issue"][0]
    assert issue["severity"] == "information"
    assert issue["details"]["coding"] == [
        {"system": ERROR_CODE_SYSTEM, "code": error_codes.CONDITIONAL_DELETE_NO_MATCH}
    ]
    assert newest_version(client) == before


def test_delete_with_two_matches_is_412_in_single_mode(client: httpx.Client) -> None:
    system = unique_system()
    for _ in range(2):
        create_patient(client, identifier=[{"system": system, "value": "42"}])
    before = newest_version(client)
    response = client.delete("/Patient", params=_condition(system))
    assert_outcome(response, 412, error_codes.CONDITIONAL_MULTIPLE)
    assert newest_version(client) == before
    assert len(_matches(client, system)) == 2


@pytest.mark.usefixtures("multiple_deletes")
def test_delete_with_several_matches_deletes_all_in_multiple_mode(client: httpx.Client) -> None:
    system = unique_system()
    ids = [
        create_patient(client, identifier=[{"system": system, "value": "42"}])["id"]
        for _ in range(3)
    ]
    response = client.delete("/Patient", params=_condition(system))
    assert response.status_code == 200, response.text
    assert "Deleted 3 Patient" in response.json()["issue"][0]["diagnostics"]
    assert [client.get(f"/Patient/{id_}").status_code for id_ in ids] == [410, 410, 410]


@pytest.mark.usefixtures("multiple_deletes")
def test_multiple_mode_refuses_more_than_the_cap(client: httpx.Client) -> None:
    system = unique_system()
    for _ in range(101):  # one more than the cap
        created = client.post("/Patient", json=_identified(system))
        assert created.status_code == 201, created.text
    before = newest_version(client)
    response = client.delete("/Patient", params=_condition(system))
    assert_outcome(response, 412, error_codes.CONDITIONAL_MULTIPLE)
    assert newest_version(client) == before


def test_patch_with_one_match_patches_it(client: httpx.Client) -> None:
    system = unique_system()
    existing = create_patient(client, identifier=[{"system": system, "value": "42"}])
    operations = [{"op": "add", "path": "/gender", "value": "female"}]
    response = client.patch(
        "/Patient", params=_condition(system), json=operations, headers=JSON_PATCH
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["gender"], body["meta"]["versionId"]) == (
        existing["id"],
        "female",
        "2",
    )


def test_patch_without_match_is_404(client: httpx.Client) -> None:
    before = newest_version(client)
    operations = [{"op": "add", "path": "/gender", "value": "female"}]
    response = client.patch(
        "/Patient", params=_condition(unique_system()), json=operations, headers=JSON_PATCH
    )
    assert_outcome(response, 404, error_codes.CONDITIONAL_NO_MATCH)
    assert newest_version(client) == before


def test_patch_with_two_matches_is_412(client: httpx.Client) -> None:
    system = unique_system()
    for _ in range(2):
        create_patient(client, identifier=[{"system": system, "value": "42"}])
    before = newest_version(client)
    operations = [{"op": "add", "path": "/gender", "value": "female"}]
    response = client.patch(
        "/Patient", params=_condition(system), json=operations, headers=JSON_PATCH
    )
    assert_outcome(response, 412, error_codes.CONDITIONAL_MULTIPLE)
    assert newest_version(client) == before


def test_capability_statement_announces_conditional_writes(client: httpx.Client) -> None:
    statement = client.get("/metadata").json()
    entry = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    assert entry["conditionalUpdate"] is True
    assert entry["conditionalDelete"] == "single"
    assert "application/fhir+json" in statement["patchFormat"]
