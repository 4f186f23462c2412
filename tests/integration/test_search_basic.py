"""Type-level search on ``_id`` and ``identifier``, unknown parameters, and paging."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import (
    all_pages,
    assert_outcome,
    create_patient,
    entries_of,
    link,
    unique_system,
)

pytestmark = pytest.mark.integration


def _ids(bundle: dict[str, Any]) -> list[str]:
    return [e["resource"]["id"] for e in entries_of(bundle, "match")]


def test_identifier_search_returns_a_searchset(client: httpx.Client) -> None:
    system = unique_system()
    wanted = create_patient(client, identifier=[{"system": system, "value": "A-1"}])
    create_patient(client, identifier=[{"system": system, "value": "A-2"}])
    response = client.get("/Patient", params={"identifier": f"{system}|A-1"})
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "searchset"
    assert _ids(bundle) == [wanted["id"]]
    entry = entries_of(bundle, "match")[0]
    assert entry["fullUrl"].endswith(f"/fhir/Patient/{wanted['id']}")
    assert entry["resource"] == wanted


def test_identifier_search_forms(client: httpx.Client) -> None:
    system = unique_system()
    first = create_patient(client, identifier=[{"system": system, "value": "B-1"}])["id"]
    second = create_patient(client, identifier=[{"system": system, "value": "B-2"}])["id"]
    both = sorted([first, second])
    assert sorted(_ids(client.get("/Patient", params={"identifier": f"{system}|"}).json())) == both
    either = {"identifier": f"{system}|B-1,{system}|B-2"}
    assert sorted(_ids(client.get("/Patient", params=either).json())) == both
    other_system = {"identifier": f"{unique_system()}|B-1"}
    assert _ids(client.get("/Patient", params=other_system).json()) == []


def test_identifier_search_sees_the_current_version_only(client: httpx.Client) -> None:
    system = unique_system()
    id_ = create_patient(client, identifier=[{"system": system, "value": "old"}])["id"]
    body = {
        "resourceType": "Patient",
        "id": id_,
        "identifier": [{"system": system, "value": "new"}],
    }
    assert client.put(f"/Patient/{id_}", json=body).status_code == 200
    assert _ids(client.get("/Patient", params={"identifier": f"{system}|old"}).json()) == []
    assert _ids(client.get("/Patient", params={"identifier": f"{system}|new"}).json()) == [id_]


def test_id_search(client: httpx.Client) -> None:
    first = create_patient(client)["id"]
    second = create_patient(client)["id"]
    response = client.get("/Patient", params={"_id": first})
    assert response.status_code == 200
    assert _ids(response.json()) == [first]
    both = client.get("/Patient", params={"_id": f"{first},{second}"}).json()
    assert sorted(_ids(both)) == sorted([first, second])
    assert _ids(client.get("/Observation", params={"_id": first}).json()) == []


def test_post_search_reads_form_parameters(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    response = client.post(
        "/Patient/_search",
        content=f"_id={id_}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert _ids(response.json()) == [id_]


def test_unknown_parameter_is_a_warning_outcome_entry(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    response = client.get("/Patient", params={"_id": id_, "shoe-size": "44"})
    assert response.status_code == 200
    bundle = response.json()
    assert _ids(bundle) == [id_]
    outcomes = entries_of(bundle, "outcome")
    assert len(outcomes) == 1
    outcome = outcomes[0]["resource"]
    assert outcome["resourceType"] == "OperationOutcome"
    issue = outcome["issue"][0]
    assert issue["severity"] == "warning"
    assert "shoe-size" in issue["diagnostics"]
    assert issue["details"]["coding"][0]["code"] == error_codes.UNKNOWN_PARAMETER
    assert "shoe-size" not in (link(bundle, "self") or "")


def test_unknown_parameter_with_strict_handling_is_400(client: httpx.Client) -> None:
    response = client.get(
        "/Patient", params={"shoe-size": "44"}, headers={"Prefer": "handling=strict"}
    )
    assert_outcome(response, 400, error_codes.UNKNOWN_PARAMETER)
    lenient = client.get(
        "/Patient", params={"shoe-size": "44"}, headers={"Prefer": "handling=lenient"}
    )
    assert lenient.status_code == 200


def test_paging_follows_next_links_to_the_end(client: httpx.Client) -> None:
    system = unique_system()
    ids = {
        create_patient(client, identifier=[{"system": system, "value": str(n)}])["id"]
        for n in range(7)
    }
    first = client.get("/Patient", params={"identifier": f"{system}|", "_count": "3"})
    pages = all_pages(client, str(first.url))
    assert [len(entries_of(p, "match")) for p in pages] == [3, 3, 1]
    found = [id_ for page in pages for id_ in _ids(page)]
    assert len(found) == len(set(found))
    assert set(found) == ids
    next_url = link(pages[0], "next") or ""
    assert "_cursor=" in next_url
    assert "_count=3" in next_url
    assert "identifier=" in next_url


def test_count_zero_returns_no_entries(client: httpx.Client) -> None:
    system = unique_system()
    create_patient(client, identifier=[{"system": system, "value": "z"}])
    response = client.get("/Patient", params={"identifier": f"{system}|", "_count": "0"})
    assert response.status_code == 200
    assert entries_of(response.json(), "match") == []
    assert link(response.json(), "next") is None


def test_deleted_resources_are_not_found(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    client.delete(f"/Patient/{id_}")
    assert _ids(client.get("/Patient", params={"_id": id_}).json()) == []


def test_search_of_unknown_type_is_404(client: httpx.Client) -> None:
    assert_outcome(client.get("/Food", params={"_id": "x"}), 404, error_codes.UNKNOWN_RESOURCE_TYPE)
