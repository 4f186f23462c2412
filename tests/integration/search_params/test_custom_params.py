"""Custom SearchParameter resources and ``$reindex``, driven over HTTP on real PostgreSQL.

A parameter POSTed as a SearchParameter indexes new writes at once; resources written before
it are found only after a ``$reindex`` job, which is polled at its status URL. Until then a
search on it says so (a warning, or a 400 under strict handling). Each test uses codes and
values of its own, since the server is shared by the whole test session.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration

MAIDEN_NAME = "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName"
STRICT = {"Prefer": "handling=strict"}


def _unique() -> str:
    return uuid.uuid4().hex[:10]


def _patient(client: httpx.Client, maiden: str | None) -> str:
    patient: dict[str, Any] = {"resourceType": "Patient", "gender": "female"}
    if maiden is not None:
        patient["extension"] = [{"url": MAIDEN_NAME, "valueString": maiden}]
    response = client.post("/Patient", json=patient)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _search_parameter(
    code: str, base: str, expression: str, kind: str = "string"
) -> dict[str, Any]:
    return {
        "resourceType": "SearchParameter",
        "url": f"http://example.org/fhir/SearchParameter/{code}",
        "name": code,
        "status": "active",
        "description": f"test parameter {code}",
        "code": code,
        "base": [base],
        "type": kind,
        "expression": expression,
    }


def _post_parameter(client: httpx.Client, resource: dict[str, Any]) -> str:
    response = client.post("/SearchParameter", json=resource)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _ids(bundle: dict[str, Any]) -> set[str]:
    return {e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"}


def _warnings(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        issue
        for e in bundle.get("entry", [])
        if e["resource"]["resourceType"] == "OperationOutcome"
        for issue in e["resource"]["issue"]
    ]


def _nv_codes(issues: list[dict[str, Any]]) -> set[str]:
    return {c["code"] for i in issues for c in i.get("details", {}).get("coding", [])}


def _wait(client: httpx.Client, status_url: str) -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:
        response = client.get(status_url)
        if response.status_code != 202:
            return response
        assert response.headers["X-Progress"]
        assert response.headers["Retry-After"].isdigit()
        assert time.monotonic() < deadline, f"{status_url} still running"
        time.sleep(0.1)


def _reindex(client: httpx.Client, path: str, **kwargs: Any) -> dict[str, Any]:
    response = client.post(path, **kwargs)
    assert response.status_code == 202, response.text
    status_url = response.headers["Content-Location"]
    assert "/_reindex-status/" in status_url
    done = _wait(client, status_url)
    assert done.status_code == 200, done.text
    result: dict[str, Any] = done.json()
    assert result["resourceType"] == "Parameters"
    return {p["name"]: p for p in result["parameter"]}


def test_new_writes_at_once_old_ones_after_reindex(client: httpx.Client) -> None:
    suffix = _unique()
    code, maiden = f"mmn-{suffix}", f"Maiden{suffix}"
    before = {_patient(client, maiden), _patient(client, maiden)}
    _patient(client, f"Other{suffix}")
    parameter = _search_parameter(
        code, "Patient", f"Patient.extension.where(url='{MAIDEN_NAME}').value"
    )
    _post_parameter(client, parameter)
    after = _patient(client, maiden)

    partial = client.get("/Patient", params={code: maiden}).json()
    assert _ids(partial) == {after}  # written since: indexed at once; the older ones not yet
    warnings = _warnings(partial)
    assert "NV-0052" in _nv_codes(warnings)
    assert any("$reindex?url=" + parameter["url"] in w["diagnostics"] for w in warnings)

    refused = client.get("/Patient", params={code: maiden}, headers=STRICT)
    assert refused.status_code == 400
    assert "NV-0052" in _nv_codes(refused.json()["issue"])

    result = _reindex(client, "/Patient/$reindex", params={"url": parameter["url"]})
    assert result["reindexed"]["valueInteger"] >= 4
    assert result["url"]["valueUri"] == parameter["url"]

    complete = client.get("/Patient", params={code: maiden}, headers=STRICT)
    assert complete.status_code == 200, complete.text
    assert _ids(complete.json()) == before | {after}
    assert "NV-0052" not in _nv_codes(_warnings(complete.json()))
    prefix = client.get("/Patient", params={code: maiden[:-3].lower()}).json()
    assert _ids(prefix) == before | {after}  # string semantics: case-insensitive starts-with


def test_observation_parameter_system_reindex(client: httpx.Client) -> None:
    suffix = _unique()
    code, text = f"value-concept-text-{suffix}", f"Positive {suffix}"

    def observation(value_text: str) -> str:
        body = {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "culture"},
            "valueCodeableConcept": {"text": value_text},
        }
        response = client.post("/Observation", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    old = observation(text)
    observation(f"Negative {suffix}")
    parameter = _search_parameter(
        code, "Observation", "Observation.value.ofType(CodeableConcept).text"
    )
    _post_parameter(client, parameter)
    assert _ids(client.get("/Observation", params={code: text}).json()) == set()

    body = {
        "resourceType": "Parameters",
        "parameter": [{"name": "url", "valueUri": parameter["url"]}],
    }
    result = _reindex(client, "/$reindex", json=body)
    assert [p for p in [result.get("type")] if p] == [{"name": "type", "valueCode": "Observation"}]

    found = client.get("/Observation", params={code: text}, headers=STRICT)
    assert found.status_code == 200, found.text
    assert _ids(found.json()) == {old}


def test_delete_removes_the_parameter(client: httpx.Client) -> None:
    suffix = _unique()
    code, maiden = f"mmn-del-{suffix}", f"Gone{suffix}"
    parameter_id = _post_parameter(
        client,
        _search_parameter(code, "Patient", f"Patient.extension.where(url='{MAIDEN_NAME}').value"),
    )
    matching = _patient(client, maiden)
    other = _patient(client, f"Kept{suffix}")
    assert _ids(client.get("/Patient", params={code: maiden}).json()) == {matching}

    assert client.delete(f"/SearchParameter/{parameter_id}").status_code in (200, 204)

    unknown = client.get("/Patient", params={code: maiden, "_id": f"{matching},{other}"}).json()
    assert _ids(unknown) == {matching, other}  # ignored now, with the unknown-parameter warning
    assert "NV-0024" in _nv_codes(_warnings(unknown))
    refused = client.get("/Patient", params={code: maiden}, headers=STRICT)
    assert refused.status_code == 400
    assert "NV-0024" in _nv_codes(refused.json()["issue"])


@pytest.mark.parametrize(
    ("expression", "code"),
    [
        ("Patient.name.(", "NV-0050"),  # does not parse
        ("Patient.nonsense", "NV-0050"),  # no such element
        ("Observation.code", "NV-0050"),  # another type's branch
    ],
)
def test_bad_expression_refused(client: httpx.Client, expression: str, code: str) -> None:
    resource = _search_parameter(f"bad-{_unique()}", "Patient", expression)
    response = client.post("/SearchParameter", json=resource)
    assert response.status_code == 400, response.text
    assert code in _nv_codes(response.json()["issue"])
    listed = client.get("/SearchParameter", params={"url": resource["url"]}).json()
    assert _ids(listed) == set()  # nothing stored


def test_code_taken_refused_same_url_is_a_new_version(client: httpx.Client) -> None:
    taken = _search_parameter("name", "Patient", "Patient.name.text")
    taken["url"] = f"http://example.org/fhir/SearchParameter/other-name-{_unique()}"
    response = client.post("/SearchParameter", json=taken)
    assert response.status_code == 400
    assert "NV-0051" in _nv_codes(response.json()["issue"])

    suffix = _unique()
    code, maiden = f"mmn-v-{suffix}", f"Version{suffix}"
    first = _search_parameter(code, "Patient", "Patient.name.family")
    parameter_id = _post_parameter(client, first)
    patient = _patient(client, maiden)
    second = {
        **first,
        "id": parameter_id,
        "expression": first["expression"].replace(
            "Patient.name.family", f"Patient.extension.where(url='{MAIDEN_NAME}').value"
        ),
    }
    response = client.put(f"/SearchParameter/{parameter_id}", json=second)
    assert response.status_code == 200, response.text
    # the new definition is in force for writes; the earlier rows need a reindex
    pending = client.get("/Patient", params={code: maiden}, headers=STRICT)
    assert pending.status_code == 400
    assert "NV-0052" in _nv_codes(pending.json()["issue"])
    _reindex(client, "/Patient/$reindex")  # no url: every parameter of every Patient
    found = _when_ready(client, {code: maiden})
    assert found.status_code == 200, found.text
    assert _ids(found.json()) == {patient}


def _when_ready(client: httpx.Client, params: dict[str, str]) -> httpx.Response:
    """The strict search once no reindex covers the parameter any more: a ``$reindex`` of
    Patient that an earlier test started on this shared server may still be running, and it
    covers every Patient parameter, this one included."""
    deadline = time.monotonic() + 60
    while True:
        response = client.get("/Patient", params=params, headers=STRICT)
        busy = response.status_code == 400 and "NV-0052" in response.text
        if not busy or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_reindex_refuses_unknown_url(client: httpx.Client) -> None:
    response = client.post("/Patient/$reindex", params={"url": "http://example.org/none"})
    assert response.status_code == 400
    assert "NV-0053" in _nv_codes(response.json()["issue"])
    status = client.get("/_reindex-status/no-such-job")
    assert status.status_code == 404


def test_a_copy_of_a_built_in_definition_is_stored_and_changes_nothing(
    client: httpx.Client,
) -> None:
    near = {
        "resourceType": "SearchParameter",
        "url": "http://hl7.org/fhir/SearchParameter/Location-near",
        "name": "near",
        "status": "active",
        "description": "Search for locations where the location.position is near to",
        "code": "near",
        "base": ["Location"],
        "type": "special",  # never accepted as a custom parameter
        "expression": "Location.position",
    }
    assert client.post("/SearchParameter", json=near).status_code == 201
    family = client.get("/Patient", params={"family": "x"}, headers=STRICT)
    assert family.status_code == 200, family.text
