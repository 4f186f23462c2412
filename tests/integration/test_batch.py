"""Batch Bundles (each entry on its own) and the limits of ``POST [base]``.

https://hl7.org/fhir/R4/http.html#transaction
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from resources import error_codes
from tests.conftest import TEST_MAX_BUNDLE_ENTRIES
from tests.integration.bundle_http import (
    bundle,
    post_bundle,
    post_entry,
    reference_of,
    request_entry,
    statuses,
)
from tests.integration.fhir_http import (
    assert_outcome,
    entries_of,
    newest_version,
    outcome_codes,
    patient,
    unique_system,
)

pytestmark = pytest.mark.integration


def _identified(system: str, value: str) -> dict[str, Any]:
    return patient(identifier=[{"system": system, "value": value}])


def _ids(client: httpx.Client, system: str) -> list[str]:
    found = client.get("/Patient", params={"identifier": f"{system}|"}).json()
    return sorted(e["resource"]["id"] for e in entries_of(found, "match"))


def test_batch_failing_entry_does_not_stop_the_others(client: httpx.Client) -> None:
    system = unique_system()
    entries = [
        post_entry(_identified(system, "1")),
        post_entry(patient(identifier=[{"system": system, "value": "2"}], gender="wrong")),
        request_entry("GET", f"Patient/missing-{uuid.uuid4().hex}"),
        post_entry(_identified(system, "3")),
    ]
    answer = post_bundle(client, bundle("batch", entries))
    assert answer["type"] == "batch-response"
    assert statuses(answer) == ["201 Created", "400 Bad Request", "404 Not Found", "201 Created"]
    failed = answer["entry"][1]["response"]["outcome"]
    assert outcome_codes(failed)[0] == error_codes.RESOURCE_INVALID
    assert failed["issue"][0]["expression"][0] == "Bundle.entry[1]"
    assert outcome_codes(answer["entry"][2]["response"]["outcome"]) == [
        error_codes.RESOURCE_NOT_FOUND
    ]
    created = sorted(reference_of(answer["entry"][i]).split("/")[1] for i in (0, 3))
    assert _ids(client, system) == created


def test_batch_does_not_resolve_urn_uuid_references(client: httpx.Client) -> None:
    system = unique_system()
    patient_url = f"urn:uuid:{uuid.uuid4()}"
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "x"},
        "subject": {"reference": patient_url},
    }
    entries = [post_entry(_identified(system, "1"), patient_url), post_entry(observation)]
    answer = post_bundle(client, bundle("batch", entries))
    assert statuses(answer) == ["201 Created", "400 Bad Request"]
    outcome = answer["entry"][1]["response"]["outcome"]
    assert outcome_codes(outcome) == [error_codes.BUNDLE_UNRESOLVED_REFERENCE]


def test_too_many_entries_is_413_before_anything(client: httpx.Client) -> None:
    system = unique_system()
    before = newest_version(client)
    entries = [post_entry(_identified(system, str(i))) for i in range(TEST_MAX_BUNDLE_ENTRIES + 1)]
    for kind in ("transaction", "batch"):
        response = client.post("", json=bundle(kind, entries))
        assert_outcome(response, 413, error_codes.BUNDLE_TOO_MANY_ENTRIES)
    assert newest_version(client) == before


@pytest.mark.parametrize("kind", ["collection", "searchset", "document", None])
def test_other_bundle_types_are_400(client: httpx.Client, kind: str | None) -> None:
    body: dict[str, Any] = {"resourceType": "Bundle", "entry": []}
    if kind is not None:
        body["type"] = kind
    assert_outcome(client.post("", json=body), 400, error_codes.BUNDLE_INVALID)


def test_not_a_bundle_is_400(client: httpx.Client) -> None:
    assert_outcome(client.post("", json=patient()), 400, error_codes.BUNDLE_INVALID)


@pytest.mark.parametrize("kind", ["transaction", "batch"])
def test_entry_without_request_is_400_naming_it(client: httpx.Client, kind: str) -> None:
    system = unique_system()
    entries: list[dict[str, Any]] = [
        post_entry(_identified(system, "1")),
        {"fullUrl": "urn:uuid:no-request", "resource": _identified(system, "2")},
    ]
    response = client.post("", json=bundle(kind, entries))
    body = assert_outcome(response, 400, error_codes.BUNDLE_ENTRY_INVALID)
    assert body["issue"][0]["expression"] == ["Bundle.entry[1]"]
    assert "urn:uuid:no-request" in body["issue"][0]["diagnostics"]
    assert _ids(client, system) == []


@pytest.mark.parametrize("kind", ["transaction", "batch"])
def test_duplicate_full_url_is_400(client: httpx.Client, kind: str) -> None:
    system = unique_system()
    full_url = f"urn:uuid:{uuid.uuid4()}"
    entries = [
        post_entry(_identified(system, "1"), full_url),
        post_entry(_identified(system, "2"), full_url),
    ]
    response = client.post("", json=bundle(kind, entries))
    body = assert_outcome(response, 400, error_codes.BUNDLE_DUPLICATE_FULL_URL)
    assert body["issue"][0]["expression"] == ["Bundle.entry[1]"]
    assert _ids(client, system) == []


@pytest.mark.parametrize(
    "url", ["Patient/a/b", "NoSuchType/1", "Patient/a/_history/x", "Patient/bad id"]
)
def test_bad_entry_url_is_refused(client: httpx.Client, url: str) -> None:
    response = client.post("", json=bundle("batch", [request_entry("GET", url)]))
    assert response.status_code in (400, 404), response.text
    assert response.json()["resourceType"] == "OperationOutcome"


def test_batch_patch_and_conditional_delete(client: httpx.Client) -> None:
    system = unique_system()
    created = post_bundle(client, bundle("batch", [post_entry(_identified(system, "1"))]))
    id_ = reference_of(created["entry"][0]).split("/")[1]
    patch = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "operation",
                "part": [
                    {"name": "type", "valueCode": "add"},
                    {"name": "path", "valueString": "Patient"},
                    {"name": "name", "valueString": "gender"},
                    {"name": "value", "valueCode": "female"},
                ],
            }
        ],
    }
    entries = [
        request_entry("PATCH", f"Patient/{id_}", patch),
        request_entry("DELETE", f"Patient?identifier={system}|1"),
    ]
    answer = post_bundle(client, bundle("batch", entries))
    assert statuses(answer) == ["200 OK", "200 OK"]
    assert answer["entry"][0]["resource"]["gender"] == "female"
    assert client.get(f"/Patient/{id_}").status_code == 410
