"""Bad requests: each gets its 4xx OperationOutcome with an NV code, none writes, none is a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from resources import error_codes
from tests.conftest import TEST_BODY_LIMIT
from tests.examples import NUTRITION_INTAKE_EXAMPLE, load
from tests.integration.fhir_http import assert_outcome, create_patient, newest_version, patient

pytestmark = pytest.mark.integration


@pytest.fixture
def unchanged(client: httpx.Client) -> Iterator[None]:
    """Fail the test when the server's history gains a version while it runs."""
    before = newest_version(client)
    yield
    assert newest_version(client) == before, "a refused request wrote a version"


def _post_raw(client: httpx.Client, path: str, content: bytes) -> httpx.Response:
    return client.post(path, content=content)


def _issue_with_expression(body: dict[str, Any], expression: str) -> dict[str, Any]:
    matches = [i for i in body["issue"] if expression in i.get("expression", [])]
    assert matches, body
    issue: dict[str, Any] = matches[0]
    return issue


@pytest.mark.parametrize(
    ("content", "nv_code"),
    [
        (b'{"resourceType": "Patient",', error_codes.INVALID_JSON),
        (b"{'resourceType': 'Patient'}", error_codes.INVALID_JSON),
        (b"\xff\xfe{}", error_codes.INVALID_JSON),
        (b'[{"resourceType": "Patient"}]', error_codes.NOT_A_RESOURCE),
        (b'"Patient"', error_codes.NOT_A_RESOURCE),
        (b'{"gender": "male"}', error_codes.NOT_A_RESOURCE),
        (b'{"resourceType": 7}', error_codes.NOT_A_RESOURCE),
        (b"", error_codes.BODY_REQUIRED),
        (b"   \n", error_codes.BODY_REQUIRED),
    ],
    ids=[
        "truncated",
        "single-quotes",
        "not-utf8",
        "array",
        "string",
        "no-resource-type",
        "numeric-resource-type",
        "empty",
        "blank",
    ],
)
@pytest.mark.usefixtures("unchanged")
def test_malformed_bodies_are_400(client: httpx.Client, content: bytes, nv_code: str) -> None:
    assert_outcome(_post_raw(client, "/Patient", content), 400, nv_code)


@pytest.mark.usefixtures("unchanged")
def test_resource_type_mismatch_is_400(client: httpx.Client) -> None:
    response = client.post("/Observation", json=patient())
    body = assert_outcome(response, 400, error_codes.RESOURCE_TYPE_MISMATCH)
    assert body["issue"][0]["expression"] == ["resourceType"]


@pytest.mark.usefixtures("unchanged")
def test_unknown_resource_type_in_the_url_is_404(client: httpx.Client) -> None:
    response = client.post("/Patients", json={"resourceType": "Patients"})
    assert_outcome(response, 404, error_codes.UNKNOWN_RESOURCE_TYPE)
    assert_outcome(client.get("/Patients/1"), 404, error_codes.UNKNOWN_RESOURCE_TYPE)
    assert_outcome(client.get("/patient"), 404, error_codes.UNKNOWN_RESOURCE_TYPE)
    assert_outcome(client.get("/nothing-here"), 404, error_codes.UNKNOWN_RESOURCE_TYPE)


@pytest.mark.usefixtures("unchanged")
def test_types_without_a_model_are_not_served(client: httpx.Client) -> None:
    response = client.post("/MedicinalProduct", json={"resourceType": "MedicinalProduct"})
    assert_outcome(response, 404, error_codes.UNKNOWN_RESOURCE_TYPE)


def test_put_with_a_different_body_id_is_400(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    before = newest_version(client)
    response = client.put(f"/Patient/{id_}", json=patient(id="somebody-else"))
    body = assert_outcome(response, 400, error_codes.ID_MISMATCH)
    assert body["issue"][0]["expression"] == ["id"]
    assert newest_version(client) == before


def test_put_without_a_body_id_is_400(client: httpx.Client) -> None:
    id_ = create_patient(client)["id"]
    before = newest_version(client)
    response = client.put(f"/Patient/{id_}", json=patient(gender="male"))
    assert_outcome(response, 400, error_codes.ID_MISSING)
    assert newest_version(client) == before
    assert client.get(f"/Patient/{id_}").headers["ETag"] == 'W/"1"'


@pytest.mark.usefixtures("unchanged")
def test_put_as_create_with_an_invalid_body_creates_nothing(client: httpx.Client) -> None:
    response = client.put("/Patient/invalid-create", json=patient(id="invalid-create", gender="x"))
    assert_outcome(response, 400, error_codes.RESOURCE_INVALID)
    assert client.get("/Patient/invalid-create").status_code == 404


@pytest.mark.parametrize(
    ("fields", "expression"),
    [
        ({"favouriteFood": "soup"}, "Patient.favouriteFood"),
        ({"name": [{"family": "Doe", "nickname": "J"}]}, "Patient.name[0].nickname"),
    ],
)
@pytest.mark.usefixtures("unchanged")
def test_unknown_elements_are_400_and_named(
    client: httpx.Client, fields: dict[str, Any], expression: str
) -> None:
    body = assert_outcome(
        client.post("/Patient", json=patient(**fields)), 400, error_codes.RESOURCE_INVALID
    )
    issue = _issue_with_expression(body, expression)
    assert issue["code"] == "structure"


@pytest.mark.parametrize(
    ("fields", "expression"),
    [
        ({"active": "true"}, "Patient.active"),
        ({"active": 1}, "Patient.active"),
        ({"birthDate": 19700101}, "Patient.birthDate"),
        ({"name": {"family": "Doe"}}, "Patient.name"),
        ({"name": [{"given": "John"}]}, "Patient.name[0].given"),
        ({"multipleBirthInteger": "2"}, "Patient.multipleBirthInteger"),
        ({"multipleBirthInteger": 1.5}, "Patient.multipleBirthInteger"),
    ],
)
@pytest.mark.usefixtures("unchanged")
def test_wrong_json_types_are_400(
    client: httpx.Client, fields: dict[str, Any], expression: str
) -> None:
    body = assert_outcome(
        client.post("/Patient", json=patient(**fields)), 400, error_codes.RESOURCE_INVALID
    )
    _issue_with_expression(body, expression)


@pytest.mark.usefixtures("unchanged")
def test_a_code_outside_a_required_value_set_is_400(client: httpx.Client) -> None:
    body = assert_outcome(
        client.post("/Patient", json=patient(gender="xx")), 400, error_codes.RESOURCE_INVALID
    )
    issue = _issue_with_expression(body, "Patient.gender")
    assert issue["code"] == "code-invalid"


@pytest.mark.parametrize("value", ["1970-13-01", "1970-02-30", "01/02/1970", "1970-1-1"])
@pytest.mark.usefixtures("unchanged")
def test_malformed_dates_are_400(client: httpx.Client, value: str) -> None:
    body = assert_outcome(
        client.post("/Patient", json=patient(birthDate=value)), 400, error_codes.RESOURCE_INVALID
    )
    _issue_with_expression(body, "Patient.birthDate")


@pytest.mark.usefixtures("unchanged")
def test_a_bad_r5_resource_held_by_an_r4_one_is_400_at_its_place(client: httpx.Client) -> None:
    intake = {k: v for k, v in load(NUTRITION_INTAKE_EXAMPLE).items() if k != "contained"}
    entry = {"fullUrl": "urn:uuid:1", "resource": {**intake, "status": "eaten"}}
    document = {"resourceType": "Bundle", "type": "collection", "entry": [entry]}
    body = assert_outcome(client.post("/Bundle", json=document), 400, error_codes.RESOURCE_INVALID)
    assert _issue_with_expression(body, "Bundle.entry[0].resource.status")["code"] == "code-invalid"


def test_a_bundle_holding_an_r5_resource_is_stored(client: httpx.Client) -> None:
    intake = {k: v for k, v in load(NUTRITION_INTAKE_EXAMPLE).items() if k != "contained"}
    entry = {"fullUrl": "urn:uuid:1", "resource": intake}
    document = {"resourceType": "Bundle", "type": "collection", "entry": [entry]}
    created = client.post("/Bundle", json=document)
    assert created.status_code == 201, created.text
    assert client.get(created.headers["location"]).json()["entry"][0]["resource"] == intake


@pytest.mark.usefixtures("unchanged")
def test_every_problem_is_reported(client: httpx.Client) -> None:
    response = client.post("/Patient", json=patient(active="yes", gender="xx"))
    body = assert_outcome(response, 400, error_codes.RESOURCE_INVALID)
    _issue_with_expression(body, "Patient.active")
    _issue_with_expression(body, "Patient.gender")


@pytest.mark.usefixtures("unchanged")
def test_a_body_over_the_limit_is_413(client: httpx.Client) -> None:
    padding = "x" * (TEST_BODY_LIMIT + 1)
    content = json.dumps(patient(name=[{"text": padding}])).encode()
    assert_outcome(_post_raw(client, "/Patient", content), 413, error_codes.BODY_TOO_LARGE)


@pytest.mark.usefixtures("unchanged")
def test_a_chunked_body_over_the_limit_is_413(client: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"resourceType": "Patient", "name": [{"text": "'
        for _ in range(TEST_BODY_LIMIT // 4096 + 2):
            yield b"x" * 4096
        yield b'"}]}'

    response = client.post("/Patient", content=chunks())
    assert_outcome(response, 413, error_codes.BODY_TOO_LARGE)


def test_a_body_just_under_the_limit_is_accepted(client: httpx.Client) -> None:
    text = "x" * (TEST_BODY_LIMIT - 200)
    response = client.post("/Patient", json=patient(name=[{"text": text}]))
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/Patient/bad_id"),
        ("GET", "/Patient/" + "a" * 65),
        ("GET", "/Patient/bad%20id"),
        ("GET", "/Patient/bad_id/_history"),
        ("GET", "/Patient/bad_id/_history/1"),
        ("PUT", "/Patient/bad_id"),
        ("DELETE", "/Patient/bad_id"),
        ("PATCH", "/Patient/bad_id"),
    ],
)
@pytest.mark.usefixtures("unchanged")
def test_an_invalid_id_in_the_url_is_400(client: httpx.Client, method: str, path: str) -> None:
    response = client.request(method, path, json=patient(id="bad_id"))
    assert_outcome(response, 400, error_codes.INVALID_ID)


@pytest.mark.parametrize(
    "path", ["/Patient/1/2/3/4", "/Patient/1/_history/1/extra", "/metadata/extra/path/x"]
)
def test_unknown_routes_are_404_outcomes(client: httpx.Client, path: str) -> None:
    assert_outcome(client.get(path), 404, error_codes.ENDPOINT_NOT_FOUND)


def test_paths_outside_the_fhir_base_are_404_outcomes(base_url: str) -> None:
    with httpx.Client() as bare:
        response = bare.get(base_url.removesuffix("/fhir") + "/admin")
    assert_outcome(response, 404, error_codes.ENDPOINT_NOT_FOUND)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/metadata"),
        ("DELETE", "/_search"),
        ("POST", "/Patient/some-id"),
        ("PUT", "/metadata"),
        ("DELETE", "/_history"),
    ],
)
@pytest.mark.usefixtures("unchanged")
def test_wrong_methods_are_405_outcomes(client: httpx.Client, method: str, path: str) -> None:
    response = client.request(method, path, json=patient())
    assert_outcome(response, 405, error_codes.METHOD_NOT_ALLOWED)
    assert "allow" in {k.lower() for k in response.headers}


@pytest.mark.parametrize(
    "path",
    [
        "/Patient/x/_history/99999999999",
        "/Patient/x/_history/\u00b2",
        "/Patient/x/_history/-1",
    ],
)
def test_out_of_range_versions_are_404(client: httpx.Client, path: str) -> None:
    id_ = create_patient(client)["id"]
    response = client.get(path.replace("/x/", f"/{id_}/"))
    assert_outcome(response, 404, error_codes.VERSION_NOT_FOUND)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/Patient", {"_count": "\u00b2"}),
        ("/Patient", {"_count": "1e3"}),
        ("/_history", {"_count": "\u00b2"}),
        ("/_history", {"_cursor": "18446744073709551616"}),
        ("/Patient", {"birthdate": "2020-13"}),  # an empty value is ignored (the parser's rule)
        ("/Patient", {"_id": "a\x00b"}),
        ("/Patient", {"identifier": "urn:x|a\x00b"}),
        ("/Patient", {"_cursor": "a\x00b"}),
        ("/Patient", {"_cursor": "not a cursor"}),
    ],
)
def test_bad_parameters_are_400(client: httpx.Client, path: str, params: dict[str, str]) -> None:
    assert_outcome(client.get(path, params=params), 400, error_codes.BAD_PARAMETER)


@pytest.mark.usefixtures("unchanged")
def test_a_nul_character_in_a_string_is_400(client: httpx.Client) -> None:
    body = patient(identifier=[{"system": "urn:x", "value": "a\x00b"}])
    response = client.post("/Patient", json=body)
    issues = assert_outcome(response, 400, error_codes.RESOURCE_INVALID)
    _issue_with_expression(issues, "Patient.identifier[0].value")


@pytest.mark.usefixtures("unchanged")
def test_a_nul_character_in_if_none_exist_is_400(client: httpx.Client) -> None:
    headers = {"If-None-Exist": "identifier=urn:x|a%00b"}
    response = client.post("/Patient", json=patient(), headers=headers)
    assert_outcome(response, 400, error_codes.BAD_PARAMETER)
