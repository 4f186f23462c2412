"""Content negotiation: ``_format``, ``Accept``, ``_pretty`` and the request ``Content-Type``."""

from __future__ import annotations

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import assert_outcome, create_patient, newest_version, patient

pytestmark = pytest.mark.integration


@pytest.fixture
def patient_id(client: httpx.Client) -> str:
    """A Patient to read."""
    return str(create_patient(client, gender="female")["id"])


@pytest.mark.parametrize(
    ("fmt", "media"),
    [
        ("json", "application/fhir+json"),
        ("application/fhir+json", "application/fhir+json"),
        ("application/json", "application/json"),
    ],
)
def test_format_json_is_served(client: httpx.Client, patient_id: str, fmt: str, media: str) -> None:
    response = client.get(f"/Patient/{patient_id}", params={"_format": fmt})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    assert response.json()["id"] == patient_id


def test_format_with_an_unescaped_plus_is_understood(client: httpx.Client, base_url: str) -> None:
    # "+" in a query string decodes to a space; clients often send it unescaped.
    id_ = create_patient(client)["id"]
    response = client.get(f"{base_url}/Patient/{id_}?_format=application/fhir+json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")


@pytest.mark.parametrize("fmt", ["xml", "application/fhir+xml", "text/turtle", "html"])
def test_format_xml_is_406(client: httpx.Client, patient_id: str, fmt: str) -> None:
    response = client.get(f"/Patient/{patient_id}", params={"_format": fmt})
    assert_outcome(response, 406, error_codes.NOT_ACCEPTABLE)


@pytest.mark.parametrize("accept", ["application/fhir+xml", "application/xml", "text/html"])
def test_accept_xml_is_406(client: httpx.Client, patient_id: str, accept: str) -> None:
    response = client.get(f"/Patient/{patient_id}", headers={"Accept": accept})
    assert_outcome(response, 406, error_codes.NOT_ACCEPTABLE)


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("*/*", "application/fhir+json"),
        ("application/*", "application/fhir+json"),
        ("application/fhir+json", "application/fhir+json"),
        ("application/json+fhir", "application/fhir+json"),
        ("application/json", "application/json"),
        ("application/fhir+xml;q=0.9, application/fhir+json", "application/fhir+json"),
        ("text/html, */*;q=0.1", "application/fhir+json"),
    ],
)
def test_accept_json_or_anything_is_200(
    client: httpx.Client, patient_id: str, accept: str, media: str
) -> None:
    response = client.get(f"/Patient/{patient_id}", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media


def test_no_accept_header_gets_fhir_json(base_url: str, patient_id: str) -> None:
    with httpx.Client(base_url=base_url) as bare:
        request = bare.build_request("GET", f"/Patient/{patient_id}")
        del request.headers["Accept"]
        response = bare.send(request)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")


def test_format_wins_over_accept(client: httpx.Client, patient_id: str) -> None:
    response = client.get(
        f"/Patient/{patient_id}",
        params={"_format": "json"},
        headers={"Accept": "application/fhir+xml"},
    )
    assert response.status_code == 200


def test_pretty_indents_the_json(client: httpx.Client, patient_id: str) -> None:
    plain = client.get(f"/Patient/{patient_id}")
    pretty = client.get(f"/Patient/{patient_id}", params={"_pretty": "true"})
    assert pretty.status_code == 200
    assert "\n" not in plain.text
    assert '\n  "resourceType": "Patient"' in pretty.text
    assert pretty.json() == plain.json()


def test_pretty_applies_to_bundles(client: httpx.Client) -> None:
    response = client.get("/Patient", params={"_pretty": "true", "_count": "1"})
    assert response.status_code == 200
    assert '\n  "resourceType": "Bundle"' in response.text


def test_406_is_checked_before_writing(client: httpx.Client) -> None:
    before = newest_version(client)
    response = client.post("/Patient", json=patient(), headers={"Accept": "application/fhir+xml"})
    assert_outcome(response, 406, error_codes.NOT_ACCEPTABLE)
    assert newest_version(client) == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/fhir+xml", "text/json5"])
def test_post_with_an_unsupported_content_type_is_415(
    client: httpx.Client, content_type: str
) -> None:
    before = newest_version(client)
    response = client.post(
        "/Patient", content=b'{"resourceType": "Patient"}', headers={"Content-Type": content_type}
    )
    assert_outcome(response, 415, error_codes.UNSUPPORTED_CONTENT_TYPE)
    assert newest_version(client) == before


@pytest.mark.parametrize(
    "content_type",
    [
        "application/fhir+json",
        "application/fhir+json; charset=utf-8",
        "application/json",
        "application/json+fhir",
    ],
)
def test_post_with_a_json_content_type_is_201(client: httpx.Client, content_type: str) -> None:
    response = client.post(
        "/Patient", content=b'{"resourceType": "Patient"}', headers={"Content-Type": content_type}
    )
    assert response.status_code == 201


def test_post_without_a_content_type_is_415(client: httpx.Client) -> None:
    before = newest_version(client)
    request = client.build_request("POST", "/Patient", content=b'{"resourceType": "Patient"}')
    del request.headers["Content-Type"]
    response = client.send(request)
    assert_outcome(response, 415, error_codes.UNSUPPORTED_CONTENT_TYPE)
    assert newest_version(client) == before


def test_put_without_a_content_type_is_415(client: httpx.Client, patient_id: str) -> None:
    body = b'{"resourceType": "Patient", "id": "%s"}' % patient_id.encode()
    request = client.build_request("PUT", f"/Patient/{patient_id}", content=body)
    del request.headers["Content-Type"]
    assert_outcome(client.send(request), 415, error_codes.UNSUPPORTED_CONTENT_TYPE)
    assert client.get(f"/Patient/{patient_id}").headers["ETag"] == 'W/"1"'


def test_errors_are_fhir_json_even_when_json_was_refused(client: httpx.Client) -> None:
    response = client.get("/Patient/x", params={"_format": "xml"})
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert response.json()["resourceType"] == "OperationOutcome"
