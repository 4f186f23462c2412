"""Scopes of the bulk features over HTTP, with real tokens on the auth-on server.

``$export`` kick-off refusals, the jobs' owner checks (status, manifest, files, cancel),
``$import`` write scopes, ``$everything`` at type level and ``$interaction-check`` on another
patient (https://hl7.org/fhir/uv/bulkdata/STU2/export.html, docs/scopes.md).
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from resources import error_codes
from tests.integration.bulk.conftest import wait_for
from tests.integration.scope_server import ScopedServer, scoped_url
from tests.integration.scope_world import World, observation, world

pytestmark = pytest.mark.integration
__all__ = ["scoped_url", "world"]

ASYNC = {"Prefer": "respond-async"}
NDJSON = {"Content-Type": "application/fhir+ndjson", "Prefer": "respond-async"}
INSUFFICIENT = 'Bearer error="insufficient_scope"'


def _client(server: ScopedServer, token: str | None) -> httpx.Client:
    headers = {"Accept": "application/fhir+json", "Content-Type": "application/fhir+json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


def _patient_token(server: ScopedServer, patient: str, scopes: str, client: str) -> str:
    return server.mint(f"launch/patient {scopes}", client_id=client, patient=patient)


def _refused(response: httpx.Response, code: str) -> None:
    assert response.status_code == 403, response.text
    assert code in response.text
    assert response.headers["www-authenticate"] == INSUFFICIENT


def _export(client: httpx.Client, path: str, params: list[tuple[str, str]]) -> str:
    response = client.get(path, params=tuple(params), headers=ASYNC)
    assert response.status_code == 202, response.text
    return response.headers["Content-Location"]


def _lines(client: httpx.Client, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for output in manifest["output"]:
        response = client.get(output["url"])
        assert response.status_code == 200, response.text
        lines.extend(orjson.loads(line) for line in response.text.splitlines())
    return lines


def test_export_of_a_type_outside_the_scopes_is_refused_at_kick_off(
    scoped_url: ScopedServer, world: World
) -> None:
    me = world.ids["me"]
    only_patient = _patient_token(scoped_url, me, "patient/Patient.rs", "bulk-narrow")
    no_resources = _patient_token(scoped_url, me, "openid", "bulk-narrow")
    mixed = scoped_url.mint("system/*.rs patient/*.rs", client_id="bulk-mixed", patient=me)
    write_only = scoped_url.mint("system/*.cud", client_id="bulk-write")
    with _client(scoped_url, only_patient) as client:
        named = client.get("$export", params={"_type": "Observation"}, headers=ASYNC)
        _refused(named, error_codes.BULK_EXPORT_SCOPE)
        group = client.get("Patient/$export", params={"_type": "Patient,Condition"}, headers=ASYNC)
        _refused(group, error_codes.BULK_EXPORT_SCOPE)
    with _client(scoped_url, no_resources) as client:
        _refused(client.get("Patient/$export", headers=ASYNC), error_codes.BULK_EXPORT_SCOPE)
    with _client(scoped_url, mixed) as client:
        _refused(client.get("$export", headers=ASYNC), error_codes.SCOPE_MIXED_CONTEXT)
    with _client(scoped_url, write_only) as client:
        _refused(client.get("$export", headers=ASYNC), error_codes.BULK_EXPORT_SCOPE)


def test_system_export_with_a_patient_token_holds_only_its_compartment(
    scoped_url: ScopedServer, world: World
) -> None:
    token = _patient_token(scoped_url, world.ids["me"], "patient/*.rs", "bulk-patient")
    subjects = f"Patient/{world.ids['me']},Patient/{world.ids['other_patient']}"
    params = [
        ("_type", "Observation,Patient"),
        ("_typeFilter", f"Observation?subject={subjects}"),
        ("_typeFilter", f"Patient?_id={world.ids['me']},{world.ids['other_patient']}"),
    ]
    with _client(scoped_url, token) as client:
        manifest = wait_for(client, _export(client, "$export", params)).json()
        lines = _lines(client, manifest)
    shown = {(line["resourceType"], line["id"]) for line in lines}
    assert ("Patient", world.ids["me"]) in shown
    assert ("Observation", world.ids["own"]) in shown
    assert ("Observation", world.ids["vital"]) in shown
    assert ("Observation", world.ids["mixed"]) in shown  # performer: in my compartment too
    assert ("Patient", world.ids["other_patient"]) not in shown
    assert ("Observation", world.ids["other"]) not in shown


def test_only_the_grant_that_started_an_export_sees_its_job(
    scoped_url: ScopedServer, world: World
) -> None:
    me, other = world.ids["me"], world.ids["other_patient"]
    owner = _patient_token(scoped_url, me, "patient/*.rs", "bulk-app")
    same_app_other_patient = _patient_token(scoped_url, other, "patient/*.rs", "bulk-app")
    other_client = _patient_token(scoped_url, me, "patient/*.rs", "bulk-other-app")
    backend = scoped_url.mint("system/*.*", client_id="bulk-backend")
    params = [("_type", "Patient"), ("_typeFilter", f"Patient?_id={me}")]
    with _client(scoped_url, owner) as client:
        status_url = _export(client, "Patient/$export", params)
        manifest = wait_for(client, status_url).json()
        assert manifest["requiresAccessToken"] is True
        file_url = manifest["output"][0]["url"]
    for stranger in (same_app_other_patient, other_client, backend):
        with _client(scoped_url, stranger) as client:
            for response in (client.get(status_url), client.get(file_url)):
                assert response.status_code == 404, response.text
                assert error_codes.BULK_JOB_NOT_FOUND in response.text
            assert client.delete(status_url).status_code == 404
    with _client(scoped_url, None) as client:
        assert client.get(status_url).status_code == 401
        assert client.get(file_url).status_code == 401
    with _client(scoped_url, owner) as client:
        assert client.get(status_url).status_code == 200  # the strangers' DELETE did nothing
        assert me in client.get(file_url).text
        assert client.delete(status_url).status_code == 202
        assert client.get(status_url).status_code == 404


def _upload(client: httpx.Client, resources: list[dict[str, Any]]) -> httpx.Response:
    body = b"".join(orjson.dumps(r) + b"\n" for r in resources)
    return client.post("$import", content=body, headers=NDJSON)


def _errors(client: httpx.Client, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    return _lines(client, {"output": manifest["error"]})


def test_import_needs_write_scopes_for_what_it_loads(
    scoped_url: ScopedServer, world: World
) -> None:
    me = f"Patient/{world.ids['me']}"
    read_only = scoped_url.mint("system/*.rs", client_id="import-reader")
    with _client(scoped_url, read_only) as client:
        _refused(_upload(client, [observation(me, "laboratory")]), error_codes.BULK_IMPORT_SCOPE)
        declared = {
            "resourceType": "Parameters",
            "parameter": [
                {
                    "name": "input",
                    "part": [
                        {"name": "type", "valueCode": "Observation"},
                        {"name": "url", "valueUri": "missing.ndjson"},
                    ],
                }
            ],
        }
        response = client.post("$import", json=declared, headers=ASYNC)
        _refused(response, error_codes.BULK_IMPORT_SCOPE)
    writer = scoped_url.mint("system/Observation.cu", client_id="import-writer")
    loaded_id, refused_id = f"imp-{world.ids['me']}-obs", f"imp-{world.ids['me']}-pat"
    lines = [
        {**observation(me, "laboratory"), "id": loaded_id},
        {"resourceType": "Patient", "id": refused_id, "active": True},
    ]
    with _client(scoped_url, writer) as client:
        response = _upload(client, lines)
        assert response.status_code == 202, response.text
        manifest = wait_for(client, response.headers["Content-Location"]).json()
        errors = _errors(client, manifest)
    assert manifest["output"][0]["count"] == 1
    assert len(errors) == 1
    assert error_codes.BULK_IMPORT_LINE_SCOPE in orjson.dumps(errors[0]).decode()
    assert world.run(world.raw.read("Observation", loaded_id)) is not None
    assert world.run(world.raw.read("Patient", refused_id)) is None


def test_a_patient_token_imports_only_into_its_own_compartment(
    scoped_url: ScopedServer, world: World
) -> None:
    token = _patient_token(scoped_url, world.ids["me"], "patient/*.cruds", "import-patient")
    mine, theirs = f"imp-{world.ids['me']}-mine", f"imp-{world.ids['me']}-theirs"
    lines = [
        {**observation(f"Patient/{world.ids['me']}", "vital-signs"), "id": mine},
        {**observation(f"Patient/{world.ids['other_patient']}", "vital-signs"), "id": theirs},
    ]
    with _client(scoped_url, token) as client:
        response = _upload(client, lines)
        assert response.status_code == 202, response.text
        manifest = wait_for(client, response.headers["Content-Location"]).json()
        errors = _errors(client, manifest)
    assert manifest["output"][0]["count"] == 1
    assert len(errors) == 1
    assert error_codes.SCOPE_WRITE_OUTSIDE_ACCESS in orjson.dumps(errors[0]).decode()
    assert world.run(world.raw.read("Observation", mine)) is not None
    assert world.run(world.raw.read("Observation", theirs)) is None


def test_type_level_everything_with_a_patient_token_is_its_compartment(
    scoped_url: ScopedServer, world: World
) -> None:
    token = _patient_token(scoped_url, world.ids["me"], "patient/*.rs", "everything-app")
    with _client(scoped_url, token) as client:
        response = client.get("Patient/$everything", params={"_count": "1000"})
    assert response.status_code == 200, response.text
    shown = {(e["resource"]["resourceType"], e["resource"]["id"]) for e in response.json()["entry"]}
    patients = {id_ for type_, id_ in shown if type_ == "Patient"}
    assert patients == {world.ids["me"]}
    assert ("Observation", world.ids["own"]) in shown
    assert ("Observation", world.ids["other"]) not in shown
    assert world.ids["other"] not in response.text


def test_interaction_check_on_another_patient_is_as_if_absent(
    scoped_url: ScopedServer, world: World
) -> None:
    token = _patient_token(scoped_url, world.ids["me"], "patient/*.rs", "check-app")
    food = {"food": "milk"}
    with _client(scoped_url, token) as client:
        other = client.get(f"Patient/{world.ids['other_patient']}/$interaction-check", params=food)
        absent = client.get("Patient/no-such-patient/$interaction-check", params=food)
        mine = client.get(f"Patient/{world.ids['me']}/$interaction-check", params=food)
    assert mine.status_code == 200, mine.text
    for response in (other, absent):
        assert response.status_code == 404, response.text
        assert error_codes.INTERACTION_CHECK_PATIENT_NOT_FOUND in response.text
    assert other.headers.get("www-authenticate") is None


def test_interaction_check_never_runs_on_a_record_it_cannot_read(
    scoped_url: ScopedServer, world: World
) -> None:
    # a check that silently left out the medications would miss interactions: refuse instead
    token = _patient_token(scoped_url, world.ids["me"], "patient/Patient.rs", "check-narrow")
    with _client(scoped_url, token) as client:
        response = client.get(
            f"Patient/{world.ids['me']}/$interaction-check", params={"food": "milk"}
        )
    _refused(response, error_codes.SCOPE_INSUFFICIENT)
