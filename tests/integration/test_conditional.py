"""Conditional create (If-None-Exist) and conditional read (If-None-Match, If-Modified-Since)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from threading import Barrier

import httpx
import pytest

from resources import error_codes
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


def _identified(system: str, value: str = "42") -> dict[str, object]:
    return patient(identifier=[{"system": system, "value": value}], gender="female")


def _matches(client: httpx.Client, system: str, value: str = "42") -> list[str]:
    bundle = client.get("/Patient", params={"identifier": f"{system}|{value}"}).json()
    return [e["resource"]["id"] for e in entries_of(bundle, "match")]


def test_if_none_exist_creates_once(client: httpx.Client) -> None:
    system = unique_system()
    headers = {"If-None-Exist": f"identifier={system}|42"}
    first = client.post("/Patient", json=_identified(system), headers=headers)
    assert first.status_code == 201
    second = client.post("/Patient", json=_identified(system), headers=headers)
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.headers["ETag"] == 'W/"1"'
    assert _matches(client, system) == [first.json()["id"]]


def test_if_none_exist_with_type_prefix_and_no_match_creates(client: httpx.Client) -> None:
    system = unique_system()
    headers = {"If-None-Exist": f"Patient?identifier={system}|42"}
    response = client.post("/Patient", json=_identified(system), headers=headers)
    assert response.status_code == 201
    assert _matches(client, system) == [response.json()["id"]]


def test_if_none_exist_matching_two_is_412(client: httpx.Client) -> None:
    system = unique_system()
    create_patient(client, identifier=[{"system": system, "value": "42"}])
    create_patient(client, identifier=[{"system": system, "value": "42"}])
    before = newest_version(client)
    headers = {"If-None-Exist": f"identifier={system}|42"}
    response = client.post("/Patient", json=_identified(system), headers=headers)
    assert_outcome(response, 412, error_codes.CONDITIONAL_MULTIPLE)
    assert newest_version(client) == before
    assert len(_matches(client, system)) == 2


def test_if_none_exist_ignores_deleted_matches(client: httpx.Client) -> None:
    system = unique_system()
    old = create_patient(client, identifier=[{"system": system, "value": "42"}])["id"]
    client.delete(f"/Patient/{old}")
    headers = {"If-None-Exist": f"identifier={system}|42"}
    response = client.post("/Patient", json=_identified(system), headers=headers)
    assert response.status_code == 201
    assert response.json()["id"] != old


def test_if_none_exist_without_criteria_is_400(client: httpx.Client) -> None:
    before = newest_version(client)
    response = client.post("/Patient", json=patient(), headers={"If-None-Exist": ""})
    assert_outcome(response, 400, error_codes.CONDITIONAL_UNSUPPORTED)
    assert newest_version(client) == before


def test_if_none_exist_with_an_unsupported_parameter_is_refused(client: httpx.Client) -> None:
    before = newest_version(client)
    headers = {"If-None-Exist": "shoe-size=44"}  # any search parameter works; unknown ones refused
    response = client.post("/Patient", json=patient(), headers=headers)
    assert_outcome(response, 400, error_codes.UNKNOWN_PARAMETER)
    assert newest_version(client) == before


def test_concurrent_identical_conditional_creates_make_one(
    client: httpx.Client, new_client: ClientFactory
) -> None:
    racers = 6
    system = unique_system()
    clients = [new_client() for _ in range(racers)]
    start = Barrier(racers)
    headers = {"If-None-Exist": f"identifier={system}|42"}

    def post(http: httpx.Client) -> httpx.Response:
        start.wait(timeout=30)
        return http.post("/Patient", json=_identified(system), headers=headers)

    with ThreadPoolExecutor(max_workers=racers) as pool:
        responses = list(pool.map(post, clients))
    assert Counter(r.status_code for r in responses) == {201: 1, 200: racers - 1}
    assert len({r.json()["id"] for r in responses}) == 1
    assert _matches(client, system) == [responses[0].json()["id"]]


def test_if_none_match_current_version_is_304(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    response = client.get(f"/Patient/{id_}", headers={"If-None-Match": 'W/"1"'})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["ETag"] == 'W/"1"'


def test_if_none_match_old_version_is_200(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    client.put(f"/Patient/{id_}", json=patient(id=id_, active=True))
    response = client.get(f"/Patient/{id_}", headers={"If-None-Match": 'W/"1"'})
    assert response.status_code == 200
    assert response.json()["active"] is True


def test_if_modified_since_not_modified_is_304(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    first = client.get(f"/Patient/{id_}")
    response = client.get(
        f"/Patient/{id_}", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert response.status_code == 304
    later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    assert client.get(f"/Patient/{id_}", headers={"If-Modified-Since": later}).status_code == 304


def test_if_modified_since_before_the_change_is_200(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    earlier = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    response = client.get(f"/Patient/{id_}", headers={"If-Modified-Since": earlier})
    assert response.status_code == 200
    garbage = client.get(f"/Patient/{id_}", headers={"If-Modified-Since": "not a date"})
    assert garbage.status_code == 200


@pytest.mark.parametrize("header", ["Mon, 01 Jan 2024 00:00:00", "Mon, 01 Jan 2024 00:00:00 -0000"])
def test_if_modified_since_without_a_zone_is_read_as_gmt(client: httpx.Client, header: str) -> None:
    id_ = create_patient(client)["id"]
    assert client.get(f"/Patient/{id_}", headers={"If-Modified-Since": header}).status_code == 200
    future = "Fri, 01 Jan 2100 00:00:00"
    assert client.get(f"/Patient/{id_}", headers={"If-Modified-Since": future}).status_code == 304
