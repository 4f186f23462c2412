"""History at instance, type and system level, with _since, _count and keyset paging."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import (
    all_pages,
    assert_outcome,
    create,
    create_patient,
    entries_of,
    link,
    patient,
)

pytestmark = pytest.mark.integration


def _versions(client: httpx.Client, count: int) -> str:
    """A Patient with ``count`` versions; returns its id."""
    id_ = create_patient(client, gender="female")["id"]
    for _ in range(count - 1):
        response = client.put(f"/Patient/{id_}", json=patient(id=id_, gender="male"))
        assert response.status_code == 200
    return str(id_)


def test_instance_history_newest_first_with_total(client: httpx.Client) -> None:
    id_ = _versions(client, 3)
    response = client.get(f"/Patient/{id_}/_history")
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "history"
    assert bundle["total"] == 3
    entries = entries_of(bundle)
    assert [e["response"]["etag"] for e in entries] == ['W/"3"', 'W/"2"', 'W/"1"']
    assert [e["request"]["method"] for e in entries] == ["PUT", "PUT", "POST"]
    assert entries[-1]["request"]["url"] == "Patient"
    assert entries[-1]["response"]["status"].startswith("201")
    assert all(e["fullUrl"].endswith(f"/fhir/Patient/{id_}") for e in entries)
    assert [e["resource"]["meta"]["versionId"] for e in entries] == ["3", "2", "1"]
    assert link(bundle, "self") is not None


def test_instance_history_of_unknown_id_is_404(client: httpx.Client) -> None:
    response = client.get("/Patient/no-history-here/_history")
    assert_outcome(response, 404, error_codes.RESOURCE_NOT_FOUND)


def test_instance_history_pages_to_the_end(client: httpx.Client) -> None:
    id_ = _versions(client, 7)
    pages = all_pages(client, f"/Patient/{id_}/_history?_count=2")
    assert len(pages) == 4
    assert [len(entries_of(p)) for p in pages] == [2, 2, 2, 1]
    etags = [e["response"]["etag"] for p in pages for e in entries_of(p)]
    assert etags == [f'W/"{v}"' for v in range(7, 0, -1)]
    assert pages[0]["total"] == 7
    assert "_cursor=" in (link(pages[0], "next") or "")
    assert link(pages[-1], "next") is None


def test_count_zero_gives_the_total_only(client: httpx.Client) -> None:
    id_ = _versions(client, 2)
    response = client.get(f"/Patient/{id_}/_history", params={"_count": "0"})
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["total"] == 2
    assert entries_of(bundle) == []
    assert link(bundle, "next") is None


def test_type_history_holds_this_type_only(client: httpx.Client) -> None:
    id_ = _versions(client, 2)
    observation = create(
        client, {"resourceType": "Observation", "status": "final", "code": {"text": "weight"}}
    )
    response = client.get("/Patient/_history", params={"_count": "50"})
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["type"] == "history"
    urls = [e["fullUrl"] for e in entries_of(bundle)]
    assert all("/fhir/Patient/" in url for url in urls)
    assert sum(url.endswith(f"/Patient/{id_}") for url in urls) == 2
    assert not any(url.endswith(f"/Observation/{observation['id']}") for url in urls)


def test_system_history_holds_every_type(client: httpx.Client) -> None:
    patient_id = create_patient(client)["id"]
    observation = create(
        client, {"resourceType": "Observation", "status": "final", "code": {"text": "bmi"}}
    )
    response = client.get("/_history", params={"_count": "2"})
    assert response.status_code == 200
    urls = [e["fullUrl"] for e in entries_of(response.json())]
    assert urls[0].endswith(f"/Observation/{observation['id']}")
    assert urls[1].endswith(f"/Patient/{patient_id}")


def test_since_keeps_only_later_versions(client: httpx.Client) -> None:
    id_ = _versions(client, 2)
    time.sleep(0.05)
    cut = datetime.now(UTC)
    time.sleep(0.05)
    client.put(f"/Patient/{id_}", json=patient(id=id_, gender="other"))
    client.put(f"/Patient/{id_}", json=patient(id=id_, gender="unknown"))
    response = client.get(f"/Patient/{id_}/_history", params={"_since": cut.isoformat()})
    assert response.status_code == 200
    bundle = response.json()
    assert [e["response"]["etag"] for e in entries_of(bundle)] == ['W/"4"', 'W/"3"']
    assert bundle["total"] == 2
    type_level = client.get("/Patient/_history", params={"_since": cut.isoformat()}).json()
    assert {e["fullUrl"].rsplit("/", 1)[1] for e in entries_of(type_level)} == {id_}


def test_since_in_the_future_is_empty(client: httpx.Client) -> None:
    _versions(client, 1)
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    bundle = client.get("/_history", params={"_since": future}).json()
    assert entries_of(bundle) == []


def test_since_accepts_z_and_is_kept_in_next_links(client: httpx.Client) -> None:
    id_ = _versions(client, 5)
    response = client.get(
        f"/Patient/{id_}/_history", params={"_since": "2000-01-01T00:00:00Z", "_count": "2"}
    )
    assert response.status_code == 200
    next_url = link(response.json(), "next") or ""
    assert "_since=2000-01-01T00%3A00%3A00Z" in next_url
    assert "_count=2" in next_url
    pages = all_pages(client, next_url)
    assert sum(len(entries_of(p)) for p in pages) == 3


def test_type_history_cursor_pages_without_gaps_or_repeats(client: httpx.Client) -> None:
    cut = (datetime.now(UTC) - timedelta(milliseconds=1)).isoformat()
    ids = {create_patient(client)["id"] for _ in range(7)}
    first = client.get("/Patient/_history", params={"_since": cut, "_count": "3"})
    pages = all_pages(client, str(first.url))
    urls = [e["fullUrl"] for p in pages for e in entries_of(p)]
    etags = [(e["fullUrl"], e["response"]["etag"]) for p in pages for e in entries_of(p)]
    assert len(etags) == len(set(etags))
    assert {url.rsplit("/", 1)[1] for url in urls} == ids
    assert [len(entries_of(p)) for p in pages] == [3, 3, 1]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("_since", "yesterday"),
        ("_since", "2024-01-01T00:00:00"),
        ("_count", "-1"),
        ("_count", "ten"),
        ("_count", "\u00b2"),
        ("_cursor", "abc"),
        ("_cursor", "\u00b2"),
        ("_cursor", "99999999999999999999999"),
    ],
)
def test_bad_history_parameters_are_400(client: httpx.Client, param: str, value: str) -> None:
    response = client.get("/Patient/_history", params={param: value})
    assert_outcome(response, 400, error_codes.BAD_PARAMETER)


def test_history_of_unknown_type_is_404(client: httpx.Client) -> None:
    response = client.get("/Patients/_history")
    assert_outcome(response, 404, error_codes.UNKNOWN_RESOURCE_TYPE)
