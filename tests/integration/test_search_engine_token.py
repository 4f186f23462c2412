"""Token search (https://hl7.org/fhir/R4/search.html#token): ``code``, ``system|code``,
``|code`` (no system), ``system|`` (any code of the system), ``:text``, ``:not``,
``:of-type``, ``:missing``, booleans and ``_tag``."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.test_search_engine_support import Batch, Resource, fold

pytestmark = pytest.mark.integration

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
MRN = "urn:example:mrn"


def _observation(*codings: dict[str, str], text: str | None = None) -> Resource:
    code: dict[str, Any] = {"coding": list(codings)}
    if text:
        code["text"] = text
    return {"resourceType": "Observation", "status": "final", "code": code}


def _observations(client: httpx.Client) -> Batch:
    batch = Batch(client)
    batch.create(_observation({"system": LOINC, "code": "8480-6", "display": "Systolic BP"}))
    batch.create(
        _observation(
            {"system": LOINC, "code": "8462-4", "display": "Diastolic BP"},
            {"system": SNOMED, "code": "271650006"},
            text="Diastolic blood pressure",
        )
    )
    batch.create(_observation({"code": "8480-6"}, text="Systolic, no system"))
    batch.create(_observation({"system": SNOMED, "code": "8480-6", "display": "Élan"}))
    return batch


def _codings(resource: Resource) -> Iterator[tuple[str | None, str | None, str | None]]:
    code = resource.get("code", {})
    for coding in code.get("coding", []):
        yield coding.get("system"), coding.get("code"), coding.get("display")


def _token_matches(value: str, system: str | None, code: str | None) -> bool:
    if "|" not in value:
        return code == value
    wanted_system, wanted_code = value.split("|", 1)
    if not wanted_system:
        return system is None and code == wanted_code
    if not wanted_code:
        return system == wanted_system
    return (system, code) == (wanted_system, wanted_code)


def _identifiers(patient: Resource) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = patient.get("identifier", [])
    return found


def _has_identifier(value: str, patient: Resource) -> bool:
    return any(
        _token_matches(value, i.get("system"), i.get("value")) for i in _identifiers(patient)
    )


def _is_active(active: bool, patient: Resource) -> bool:
    return patient.get("active") == active


@pytest.mark.parametrize(
    "value",
    ["8480-6", f"{LOINC}|8480-6", "|8480-6", f"{SNOMED}|", f"{LOINC}|", "271650006", "nope"],
)
def test_code_forms(client: httpx.Client, value: str) -> None:
    batch = _observations(client)
    expected = batch.expect(
        "Observation", lambda o: any(_token_matches(value, s, c) for s, c, _ in _codings(o))
    )
    assert sorted(batch.ids("Observation", [("code", value)])) == expected


def test_comma_separated_codes_are_or(client: httpx.Client) -> None:
    batch = _observations(client)
    values = [f"{LOINC}|8462-4", f"{SNOMED}|8480-6"]
    expected = batch.expect(
        "Observation",
        lambda o: any(_token_matches(v, s, c) for v in values for s, c, _ in _codings(o)),
    )
    assert sorted(batch.ids("Observation", [("code", ",".join(values))])) == expected
    assert len(expected) == 2


@pytest.mark.parametrize("value", ["systolic", "DIAST", "elan", "blood", "no system", "bp"])
def test_text_is_starts_with_on_display_and_text(client: httpx.Client, value: str) -> None:
    batch = _observations(client)

    def texts(o: Resource) -> list[str]:
        found = [d for _, _, d in _codings(o) if d]
        return found + ([o["code"]["text"]] if "text" in o["code"] else [])

    expected = batch.expect(
        "Observation", lambda o: any(fold(t).startswith(fold(value)) for t in texts(o))
    )
    assert sorted(batch.ids("Observation", [("code:text", value)])) == expected


def test_not_includes_resources_without_any_value(client: httpx.Client) -> None:
    batch = Batch(client)
    for gender in ("male", "female", "other", None):
        batch.create({"resourceType": "Patient", **({"gender": gender} if gender else {})})
    expected = batch.expect("Patient", lambda p: p.get("gender") != "male")
    assert sorted(batch.ids("Patient", [("gender:not", "male")])) == expected
    assert len(expected) == 3
    neither = batch.expect("Patient", lambda p: p.get("gender") not in ("male", "female"))
    assert sorted(batch.ids("Patient", [("gender:not", "male,female")])) == neither


def test_identifiers_system_forms_and_of_type(client: httpx.Client) -> None:
    batch = Batch(client)
    mr = {"coding": [{"system": V2_0203, "code": "MR"}]}
    batch.create(
        {"resourceType": "Patient", "identifier": [{"system": MRN, "value": "1", "type": mr}]}
    )
    batch.create({"resourceType": "Patient", "identifier": [{"system": MRN, "value": "1"}]})
    batch.create({"resourceType": "Patient", "identifier": [{"value": "1"}]})
    batch.create({"resourceType": "Patient", "identifier": [{"system": MRN, "value": "2"}]})

    for value in ("1", f"{MRN}|1", "|1", f"{MRN}|"):
        expected = batch.expect("Patient", functools.partial(_has_identifier, value))
        assert sorted(batch.ids("Patient", [("identifier", value)])) == expected, value
    of_type = batch.expect(
        "Patient",
        lambda p: any(
            i.get("value") == "1"
            and {"system": V2_0203, "code": "MR"} in i.get("type", {}).get("coding", [])
            for i in _identifiers(p)
        ),
    )
    assert sorted(batch.ids("Patient", [("identifier:of-type", f"{V2_0203}|MR|1")])) == of_type
    assert len(of_type) == 1


def test_booleans_and_missing(client: httpx.Client) -> None:
    batch = Batch(client)
    for active in (True, False, None):
        batch.create({"resourceType": "Patient", **({} if active is None else {"active": active})})
    for value in ("true", "false"):
        expected = batch.expect("Patient", functools.partial(_is_active, value == "true"))
        assert sorted(batch.ids("Patient", [("active", value)])) == expected
    missing = batch.expect("Patient", lambda p: "active" not in p)
    assert sorted(batch.ids("Patient", [("active:missing", "true")])) == missing


def test_tag_and_security_are_tokens_on_meta(client: httpx.Client) -> None:
    batch = Batch(client)
    labelled = batch.create(
        {
            "resourceType": "Patient",
            "meta": {"security": [{"system": "urn:sec", "code": "R"}]},
        }
    )
    batch.create({"resourceType": "Patient"})
    assert batch.ids("Patient", [("_security", "urn:sec|R")]) == [labelled["id"]]
    assert len(batch.ids("Patient")) == 2
