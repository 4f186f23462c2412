"""The CapabilityStatement self-check: every declared interaction, search parameter and
operation of a sample of types exercised against a running server; each failure described."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from resources import error_codes
from tests.integration.fhir_http import outcome_codes

ALLERGY_STATUS = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
MINIMAL: dict[str, dict[str, Any]] = {
    "Patient": {"resourceType": "Patient", "active": True},
    "AllergyIntolerance": {
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": {"coding": [{"system": ALLERGY_STATUS, "code": "active"}]},
        "patient": {"reference": "Patient/p"},
    },
    "Condition": {"resourceType": "Condition", "subject": {"reference": "Patient/p"}},
    "Observation": {"resourceType": "Observation", "status": "final", "code": {"text": "x"}},
    "NutritionIntake": {
        "resourceType": "NutritionIntake",
        "status": "completed",
        "subject": {"reference": "Patient/p"},
        "consumedItem": [
            {"type": {"text": "food"}, "nutritionProduct": {"concept": {"text": "x"}}}
        ],
    },
}
"""A valid resource of each sample type, to create, update and read back."""

SEARCH_VALUES = {
    "token": "true",
    "string": "a",
    "date": "2020-01-01",
    "reference": "x",
    "number": "1",
    "quantity": "1",
    "uri": "http://example.org/x",
}
COMPOSITE_VALUES = ("a$1", "a$2020-01-01", "a$a", "a$1$1")
"""The statement does not say a composite's component types: one of these fits each pair."""
STRICT = {"Prefer": "handling=strict"}
_NOT_THERE = frozenset(
    {error_codes.UNKNOWN_OPERATION, error_codes.OPERATION_LEVEL, error_codes.INTERNAL}
)
"""Codes that say the operation is not served at that path (or broke), not that the empty
Parameters were refused."""

Check = Callable[[httpx.Client, str, str], httpx.Response]


def _create(client: httpx.Client, type_: str, id_: str) -> httpx.Response:
    return client.post(f"/{type_}", json=MINIMAL[type_])


def _interactions() -> dict[str, tuple[Check, int]]:
    return {
        "create": (_create, 201),
        "read": (lambda c, t, i: c.get(f"/{t}/{i}"), 200),
        "vread": (lambda c, t, i: c.get(f"/{t}/{i}/_history/1"), 200),
        "update": (lambda c, t, i: c.put(f"/{t}/{i}", json={**MINIMAL[t], "id": i}), 200),
        "patch": (
            lambda c, t, i: c.patch(
                f"/{t}/{i}",
                json=[{"op": "add", "path": "/language", "value": "en"}],
                headers={"Content-Type": "application/json-patch+json"},
            ),
            200,
        ),
        "history-instance": (lambda c, t, i: c.get(f"/{t}/{i}/_history"), 200),
        "history-type": (lambda c, t, i: c.get(f"/{t}/_history"), 200),
        "search-type": (lambda c, t, i: c.get(f"/{t}", headers=STRICT), 200),
        "delete": (lambda c, t, i: c.delete(f"/{t}/{i}"), 200),
    }


def _declared(statement: dict[str, Any], type_: str) -> dict[str, Any]:
    for entry in statement["rest"][0]["resource"]:
        if entry["type"] == type_:
            result: dict[str, Any] = entry
            return result
    return {}


def _interaction_failures(client: httpx.Client, type_: str, entry: dict[str, Any]) -> list[str]:
    created = _create(client, type_, "")
    if created.status_code != 201:
        return [f"{type_} create: {created.status_code}"]
    id_ = str(created.json()["id"])
    checks = _interactions()
    failures = []
    codes = [i["code"] for i in entry.get("interaction", [])]
    for code in sorted(codes, key=lambda c: c == "delete"):  # delete last
        check, status = checks.get(code, (None, 0))
        if check is None:
            failures.append(f"{type_} {code}: declared, and this check does not know it")
            continue
        response = check(client, type_, id_)
        if response.status_code != status:
            failures.append(f"{type_} {code}: {response.status_code} {response.text[:200]}")
    return failures


def _searches(client: httpx.Client, type_: str, name: str, value: str) -> bool:
    response = client.get(f"/{type_}", params={name: value}, headers=STRICT)
    return response.status_code == 200 and response.json().get("type") == "searchset"


def _search_failures(client: httpx.Client, type_: str, entry: dict[str, Any]) -> list[str]:
    failures = []
    for param in entry.get("searchParam", []):
        values = (
            COMPOSITE_VALUES if param["type"] == "composite" else (SEARCH_VALUES[param["type"]],)
        )
        if not any(_searches(client, type_, param["name"], value) for value in values):
            failures.append(f"{type_}?{param['name']}={values[-1]}: refused")
    for include in entry.get("searchInclude", []):
        response = client.get(f"/{type_}", params={"_include": include}, headers=STRICT)
        if response.status_code != 200:
            failures.append(f"{type_}?_include={include}: {response.status_code}")
    return failures


def _invoke(client: httpx.Client, path: str) -> str | None:
    """Why an operation at ``path`` is not there (None when it answers as implemented: 2xx,
    or a request error in an OperationOutcome about the empty Parameters sent)."""
    response = client.post(path, json={"resourceType": "Parameters"})
    if response.status_code < 300:
        return None
    body = response.json() if response.headers.get("content-type", "").find("json") >= 0 else {}
    codes = outcome_codes(body) if body.get("resourceType") == "OperationOutcome" else []
    if response.status_code in (400, 403, 422) and codes and codes[0] not in _NOT_THERE:
        return None
    return f"{path}: {response.status_code}"


def _operation_failures(client: httpx.Client, type_: str, entry: dict[str, Any]) -> list[str]:
    failures = []
    created = _create(client, type_, "")
    id_ = created.json().get("id") if created.status_code == 201 else "missing"
    for operation in entry.get("operation", []):
        definition = operation["definition"].rsplit("/", 1)[-1]
        published = client.get(f"/OperationDefinition/{definition}")
        if published.status_code != 200:
            failures.append(f"OperationDefinition/{definition}: not served")
            continue
        levels = published.json()
        paths = [f"/{type_}/${operation['name']}"] if levels.get("type") else []
        paths += [f"/{type_}/{id_}/${operation['name']}"] if levels.get("instance") else []
        failures += [why for path in paths if (why := _invoke(client, path)) is not None]
    return failures


def capability_failures(client: httpx.Client, types: list[str]) -> list[str]:
    """Every claim of ``/metadata`` about ``types`` that the server does not honour."""
    response = client.get("/metadata")
    if response.status_code != 200:
        return [f"metadata: {response.status_code}"]
    statement = response.json()
    failures = []
    for type_ in types:
        entry = _declared(statement, type_)
        if not entry:
            failures.append(f"{type_}: not declared")
            continue
        failures += _interaction_failures(client, type_, entry)
        failures += _search_failures(client, type_, entry)
        failures += _operation_failures(client, type_, entry)
    return failures


def search_failures_of_every_type(
    client: httpx.Client, part: int = 0, parts: int = 1
) -> tuple[int, list[str]]:
    """Every declared search parameter and ``_include`` of every declared type, searched in
    strict mode (instances are not needed for that, unlike the interactions): how many types
    are declared, and the failures. ``part`` of ``parts`` checks every parts-th type only, so
    the thousands of searches can be spread over test workers."""
    response = client.get("/metadata")
    if response.status_code != 200:
        return 0, [f"metadata: {response.status_code}"]
    entries = response.json()["rest"][0]["resource"]
    failures = []
    for entry in entries[part::parts]:
        failures += _search_failures(client, str(entry["type"]), entry)
    return len(entries), failures
