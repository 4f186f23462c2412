"""Transaction Bundles (``POST [base]``, type transaction): all or nothing, in one transaction.

https://hl7.org/fhir/R4/http.html#transaction
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from resources import error_codes
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
    create_patient,
    entries_of,
    newest_version,
    patient,
    unique_system,
)

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).parents[1] / "fixtures" / "bundles" / "bundle-transaction.json"


def _identified(system: str, value: str = "1") -> dict[str, Any]:
    return patient(identifier=[{"system": system, "value": value}])


def _ids(client: httpx.Client, system: str, resource_type: str = "Patient") -> list[str]:
    found = client.get(f"/{resource_type}", params={"identifier": f"{system}|"}).json()
    return sorted(e["resource"]["id"] for e in entries_of(found, "match"))


def _put(client: httpx.Client, resource: dict[str, Any]) -> None:
    url = f"/{resource['resourceType']}/{resource['id']}"
    assert client.put(url, json=resource).status_code in (200, 201)


def _example(client: httpx.Client) -> tuple[dict[str, Any], dict[str, str], str]:
    """The spec's example with unique ids and system, and the resources it expects."""
    system = unique_system()
    suffix = uuid.uuid4().hex[:12]
    ids = {old: f"{old}-{suffix}" for old in ("123", "123a", "234", "12334")}
    text = EXAMPLE.read_text(encoding="utf-8").replace("http:/example.org/fhir/ids", system)
    text = text.replace("identifier=123456", f"identifier={system}|123456")
    example: dict[str, Any] = json.loads(text)
    for entry in example["entry"]:
        request = entry["request"]
        request.pop("ifNoneMatch", None)
        request.pop("ifModifiedSince", None)
        head, _, old = request["url"].rpartition("/")
        if head == "Patient" and old in ids:
            request["url"] = f"Patient/{ids[old]}"
            if "resource" in entry:
                entry["resource"]["id"] = ids[old]
    for old in ("123a", "123a", "234", "12334"):
        _put(client, patient(id=ids[old], identifier=[{"system": system, "value": old}]))
    return example, ids, system


def test_spec_example_transaction(client: httpx.Client) -> None:
    example, ids, _system = _example(client)
    answer = post_bundle(client, example)
    assert answer["type"] == "transaction-response"
    assert statuses(answer) == [
        "201 Created",
        "201 Created",
        "201 Created",
        "201 Created",
        "200 OK",
        "200 OK",
        "200 OK",
        "200 OK",
        "200 OK",
    ]
    first = answer["entry"][0]["response"]
    assert first["location"].endswith("/_history/1")
    assert first["etag"] == 'W/"1"'
    assert "lastModified" in first
    assert answer["entry"][4]["response"]["etag"] == 'W/"3"'
    assert client.get(f"/Patient/{ids['234']}").status_code == 410
    assert client.get(f"/Patient/{ids['123']}").json()["id"] == ids["123"]
    assert answer["entry"][8]["resource"]["id"] == ids["12334"]


def test_urn_uuid_references_are_rewritten(client: httpx.Client) -> None:
    system = unique_system()
    patient_url, observation_url = f"urn:uuid:{uuid.uuid4()}", f"urn:oid:1.2.3.{uuid.uuid4().int}"
    extension = {"url": "http://example.org/ext", "valueReference": {"reference": patient_url}}
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "weight"},
        "identifier": [{"system": system, "value": "obs"}],
        "subject": {"reference": patient_url},
        "extension": [extension],
        "contained": [
            {
                "resourceType": "Provenance",
                "id": "p",
                "target": [{"reference": patient_url}],
                "recorded": "2024-01-01T00:00:00Z",
                "agent": [{"who": {"reference": patient_url}}],
            }
        ],
    }
    # The Observation comes first: ids are assigned before any entry is written.
    body = bundle(
        "transaction",
        [post_entry(observation, observation_url), post_entry(_identified(system), patient_url)],
    )
    answer = post_bundle(client, body)
    assert statuses(answer) == ["201 Created", "201 Created"]
    patient_ref = reference_of(answer["entry"][1])
    stored = client.get(f"/{reference_of(answer['entry'][0])}").json()
    assert stored["subject"]["reference"] == patient_ref
    assert stored["extension"][0]["valueReference"]["reference"] == patient_ref
    assert stored["contained"][0]["target"][0]["reference"] == patient_ref
    assert stored["contained"][0]["agent"][0]["who"]["reference"] == patient_ref


def test_deletes_run_before_creates(client: httpx.Client) -> None:
    system = unique_system()
    old = create_patient(client, identifier=[{"system": system, "value": "1"}])
    body = bundle(
        "transaction",
        [
            post_entry(_identified(system), ifNoneExist=f"identifier={system}|1"),
            request_entry("DELETE", f"Patient?identifier={system}|1"),
        ],
    )
    answer = post_bundle(client, body)
    # The DELETE ran first, so the conditional create found nothing and created.
    assert statuses(answer) == ["201 Created", "200 OK"]
    assert _ids(client, system) == [reference_of(answer["entry"][0]).split("/")[1]]
    assert client.get(f"/Patient/{old['id']}").status_code == 410


def test_invalid_third_entry_rolls_everything_back(client: httpx.Client) -> None:
    system = unique_system()
    before = newest_version(client)
    bad = patient(identifier=[{"system": system, "value": "3"}], gender="not-a-gender")
    entries = [
        post_entry(_identified(system, "1")),
        post_entry(_identified(system, "2"), f"urn:uuid:{uuid.uuid4()}"),
        post_entry(bad, "urn:uuid:bad-entry"),
    ]
    response = client.post("", json=bundle("transaction", entries))
    body = assert_outcome(response, 400, error_codes.RESOURCE_INVALID)
    assert body["issue"][0]["expression"][0] == "Bundle.entry[2]"
    assert "urn:uuid:bad-entry" in body["issue"][0]["diagnostics"]
    assert _ids(client, system) == []
    assert newest_version(client) == before


def test_conditional_create_twice_makes_one(client: httpx.Client) -> None:
    system = unique_system()
    body = bundle(
        "transaction",
        [post_entry(_identified(system), ifNoneExist=f"identifier={system}|1")],
    )
    first = post_bundle(client, body)
    second = post_bundle(client, body)
    assert statuses(first) == ["201 Created"]
    assert statuses(second) == ["200 OK"]
    assert reference_of(first["entry"][0]) == reference_of(second["entry"][0])
    assert len(_ids(client, system)) == 1


def _observation_of(subject: str, system: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "x"},
        "identifier": [{"system": system, "value": "o"}],
        "subject": {"reference": subject},
    }


def test_conditional_reference_resolves(client: httpx.Client) -> None:
    system = unique_system()
    target = create_patient(client, identifier=[{"system": system, "value": "1"}])
    observation = _observation_of(f"Patient?identifier={system}|1", system)
    answer = post_bundle(client, bundle("transaction", [post_entry(observation)]))
    stored = client.get(f"/{reference_of(answer['entry'][0])}").json()
    assert stored["subject"]["reference"] == f"Patient/{target['id']}"


@pytest.mark.parametrize(
    ("copies", "code"),
    [
        (0, error_codes.CONDITIONAL_REFERENCE_NO_MATCH),
        (2, error_codes.CONDITIONAL_REFERENCE_MULTIPLE),
    ],
)
def test_conditional_reference_not_one_match_is_412(
    client: httpx.Client, copies: int, code: str
) -> None:
    system = unique_system()
    for _ in range(copies):
        create_patient(client, identifier=[{"system": system, "value": "1"}])
    entries = [
        post_entry(_identified(system, "2")),
        post_entry(_observation_of(f"Patient?identifier={system}|1", system)),
    ]
    response = client.post("", json=bundle("transaction", entries))
    assert_outcome(response, 412, code)
    assert _ids(client, system, "Observation") == []
    assert len(_ids(client, system)) == copies


def test_if_match_mismatch_is_412_and_rolls_back(client: httpx.Client) -> None:
    system = unique_system()
    existing = create_patient(client, identifier=[{"system": system, "value": "1"}])
    changed = {**existing, "gender": "male"}
    del changed["meta"]
    put = request_entry("PUT", f"Patient/{existing['id']}", changed)
    put["request"]["ifMatch"] = 'W/"7"'
    entries = [post_entry(_identified(system, "2")), put]
    response = client.post("", json=bundle("transaction", entries))
    body = assert_outcome(response, 412, error_codes.VERSION_CONFLICT)
    assert body["issue"][0]["expression"][0] == "Bundle.entry[1]"
    assert _ids(client, system) == [existing["id"]]
    assert client.get(f"/Patient/{existing['id']}").json()["meta"]["versionId"] == "1"


def test_get_entries_see_the_transactions_writes(client: httpx.Client) -> None:
    system = unique_system()
    suffix = uuid.uuid4().hex
    entries = [
        request_entry("GET", f"Patient?identifier={system}|1"),
        request_entry("GET", f"Patient/get-{suffix}"),
        post_entry(_identified(system, "1")),
        request_entry("PUT", f"Patient/get-{suffix}", patient(id=f"get-{suffix}")),
    ]
    answer = post_bundle(client, bundle("transaction", entries))
    assert statuses(answer) == ["200 OK", "200 OK", "201 Created", "201 Created"]
    searchset = answer["entry"][0]["resource"]
    assert searchset["type"] == "searchset"
    assert [e["resource"]["id"] for e in searchset["entry"]] == _ids(client, system)
    assert answer["entry"][1]["resource"]["id"] == f"get-{suffix}"


def test_prefer_return_minimal_omits_resources(client: httpx.Client) -> None:
    system = unique_system()
    body = bundle("transaction", [post_entry(_identified(system))])
    answer = post_bundle(client, body, Prefer="return=minimal")
    entry = answer["entry"][0]
    assert "resource" not in entry
    assert entry["response"]["status"] == "201 Created"
    full = post_bundle(client, bundle("transaction", [post_entry(_identified(system, "2"))]))
    assert full["entry"][0]["resource"]["resourceType"] == "Patient"


def test_two_entries_writing_one_resource_are_400(client: httpx.Client) -> None:
    id_ = f"twice-{uuid.uuid4().hex}"
    entries = [
        request_entry("PUT", f"Patient/{id_}", patient(id=id_)),
        request_entry("PUT", f"Patient/{id_}", patient(id=id_, gender="male")),
    ]
    response = client.post("", json=bundle("transaction", entries))
    assert_outcome(response, 400, error_codes.BUNDLE_DUPLICATE_TARGET)
    assert client.get(f"/Patient/{id_}").status_code == 404
