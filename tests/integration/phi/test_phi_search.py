"""Search on blind indexes: what keeps working gives the same matches as on plain text, what
cannot work is a 400 OperationOutcome (NV-0200, NV-0201), never a wrong answer."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import assert_outcome
from tests.integration.phi.phi_data import create_patient, distinctive

pytestmark = pytest.mark.integration


def _ids(client: httpx.Client, path: str, params: dict[str, str]) -> set[str]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json().get("entry", [])
    return {e["resource"]["id"] for e in entries if e["search"]["mode"] == "match"}


@pytest.fixture(scope="module")
def two(base_url: str) -> tuple[dict[str, str], dict[str, str], str, str, str]:
    tag = uuid.uuid4().hex
    with httpx.Client(base_url=base_url, timeout=30) as client:
        first, second = distinctive(tag), distinctive(tag)
        second["birthDate"] = "1937-05-02"
        a = create_patient(client, first)["id"]
        b = create_patient(client, second)["id"]
    return first, second, a, b, tag


def test_each_working_phi_search_finds_exactly_its_patient(
    client: httpx.Client, two: tuple[dict[str, str], dict[str, str], str, str, str]
) -> None:
    first, _, a, _, tag = two
    searches = {
        "family": first["family"].upper()[:10] + first["family"][10:],
        "given": first["given"][:13].lower(),
        "name": first["given"],
        "phonetic": first["family"],
        "family:exact": first["family"],
        "address": first["line"][:20],
        "address-city": first["city"],
        "address-postalcode": first["postalCode"],
        "phone": first["phone"],
        "email": first["email"],
        "telecom": f"phone|{first['phone']}",
        "identifier": f"urn:oid:2.16.840.1.113883.4.1|{first['ssn']}",
    }
    for name, value in searches.items():
        assert _ids(client, "/Patient", {name: value, "_tag": tag}) == {a}, name


def test_prefixes_and_dates_separate_the_two(
    client: httpx.Client, two: tuple[dict[str, str], dict[str, str], str, str, str]
) -> None:
    first, second, a, b, tag = two
    assert _ids(client, "/Patient", {"family": "vexhammer", "_tag": tag}) == {a, b}
    assert _ids(client, "/Patient", {"family:exact": first["family"].lower(), "_tag": tag}) == set()
    assert _ids(client, "/Patient", {"birthdate": "1937-04-19", "_tag": tag}) == {a}
    assert _ids(client, "/Patient", {"birthdate": "1937-05", "_tag": tag}) == {b}
    assert _ids(client, "/Patient", {"birthdate": "1937", "_tag": tag}) == {a, b}
    assert _ids(client, "/Patient", {"birthdate": "1938", "_tag": tag}) == set()
    assert _ids(client, "/Patient", {"identifier": second["ssn"], "_tag": tag}) == {b}
    assert _ids(client, "/Patient", {"phone:missing": "false", "_tag": tag}) == {a, b}
    assert _ids(client, "/Patient", {"birthdate:missing": "true", "_tag": tag}) == set()
    both = {"family": f"{first['family']},{second['family']}", "_tag": tag}
    assert _ids(client, "/Patient", both) == {a, b}


def test_chains_and_mixed_types_use_the_blind_index(
    client: httpx.Client, two: tuple[dict[str, str], dict[str, str], str, str, str]
) -> None:
    first, _, a, _, _ = two
    observation = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "weight"},
        "subject": {"reference": f"Patient/{a}"},
    }
    made = client.post("/Observation", json=observation).json()["id"]
    chained = {"subject:Patient.family": first["family"]}
    assert _ids(client, "/Observation", chained) == {made}
    organization = client.post(
        "/Organization", json={"resourceType": "Organization", "name": first["family"]}
    ).json()["id"]
    mixed = {"_type": "Patient,Organization", "name": first["family"]}
    assert _ids(client, "/", mixed) == {a, organization}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"family:contains": "hammer"}, error_codes.PHI_SEARCH_UNSUPPORTED),
        ({"address:contains": "wood"}, error_codes.PHI_SEARCH_UNSUPPORTED),
        ({"birthdate": "gt1937-01-01"}, error_codes.PHI_SEARCH_UNSUPPORTED),
        ({"birthdate": "le1990"}, error_codes.PHI_SEARCH_UNSUPPORTED),
        ({"birthdate": "1937-04-19T10:00:00Z"}, error_codes.PHI_SEARCH_UNSUPPORTED),
        ({"name": "x" * 33}, error_codes.PHI_SEARCH_UNSUPPORTED),
        ({"_sort": "family"}, error_codes.PHI_SORT_UNSUPPORTED),
        ({"_sort": "-birthdate"}, error_codes.PHI_SORT_UNSUPPORTED),
        ({"_sort": "identifier"}, error_codes.PHI_SORT_UNSUPPORTED),
    ],
)
def test_what_a_blind_index_cannot_answer_is_refused(
    client: httpx.Client, params: dict[str, str], code: str
) -> None:
    assert_outcome(client.get("/Patient", params=params), 400, code)


def test_other_types_keep_plain_search(client: httpx.Client) -> None:
    name = f"Acme{uuid.uuid4().hex[:8]}"
    made = client.post("/Organization", json={"resourceType": "Organization", "name": name})
    found = {"name:contains": name[2:], "_sort": "name"}
    assert _ids(client, "/Organization", found) == {made.json()["id"]}
