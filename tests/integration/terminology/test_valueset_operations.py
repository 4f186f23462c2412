"""ValueSet $expand and $validate-code over HTTP: shipped, stored and posted value sets."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import assert_outcome
from tests.integration.terminology.helpers import ICD10CM, codes, out, parameters

pytestmark = pytest.mark.integration

GENDER_VS = "http://hl7.org/fhir/ValueSet/administrative-gender"
GENDER = "http://hl7.org/fhir/administrative-gender"


def _value_set(
    *include: dict[str, Any], exclude: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    compose: dict[str, Any] = {"include": list(include)}
    if exclude:
        compose["exclude"] = exclude
    return {
        "resourceType": "ValueSet",
        "url": f"urn:uuid:{uuid.uuid4()}",
        "status": "active",
        "compose": compose,
    }


def _icd(op: str, value: str, prop: str = "concept") -> dict[str, Any]:
    return {"system": ICD10CM, "filter": [{"property": prop, "op": op, "value": value}]}


def _expand(client: httpx.Client, value_set: dict[str, Any], **extra: Any) -> dict[str, Any]:
    response = client.post("/ValueSet/$expand", json=parameters(valueSet=value_set, **extra))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "ValueSet"
    return body


def test_expand_a_shipped_value_set_by_url(client: httpx.Client) -> None:
    body = client.get("/ValueSet/$expand", params={"url": GENDER_VS}).json()
    assert codes(body) == ["male", "female", "other", "unknown"]
    assert body["expansion"]["total"] == 4
    assert body["expansion"]["contains"][0] == {
        "system": GENDER,
        "version": "4.0.1",
        "code": "male",
        "display": "Male",
    }
    assert body["url"] == GENDER_VS


def test_expand_pages_with_count_and_offset(client: httpx.Client) -> None:
    query = {"url": GENDER_VS, "count": "2", "offset": "1"}
    body = client.get("/ValueSet/$expand", params=query).json()
    assert codes(body) == ["female", "other"]
    assert body["expansion"]["total"] == 4
    assert body["expansion"]["offset"] == 1
    echoed = {p["name"] for p in body["expansion"]["parameter"]}
    assert echoed == {"count", "offset"}


def test_expand_is_a_with_text_filter(client: httpx.Client) -> None:
    body = _expand(client, _value_set(_icd("is-a", "E11")), filter="ketoacidosis")
    found = codes(body)
    assert found == ["E11.1", "E11.10", "E11.11"]


def test_expand_descendent_of_leaves_out_the_root(client: httpx.Client) -> None:
    found = codes(_expand(client, _value_set(_icd("descendent-of", "E11.6"))))
    assert "E11.6" not in found
    assert "E11.65" in found
    assert "E11.641" in found
    assert all(code.startswith("E11.6") for code in found)


def test_expand_regex_filter_on_the_code(client: httpx.Client) -> None:
    found = codes(_expand(client, _value_set(_icd("regex", r"E11\.3[0-9]{2}9", "code"))))
    assert found
    assert all(len(code) == 8 and code.endswith("9") for code in found)
    assert "E11.3299" in found


def test_expand_include_minus_exclude(client: httpx.Client) -> None:
    value_set = _value_set(_icd("is-a", "E11"), exclude=[_icd("is-a", "E11.6")])
    found = codes(_expand(client, value_set))
    assert "E11.9" in found
    assert "E11" in found
    assert not [code for code in found if code.startswith("E11.6")]


def test_expand_concept_list_and_unknown_listed_codes(client: httpx.Client) -> None:
    include = {
        "system": ICD10CM,
        "concept": [{"code": "I10"}, {"code": "E66.9", "display": "Obesity"}, {"code": "XX.1"}],
    }
    body = _expand(client, _value_set(include))
    assert codes(body) == ["I10", "E66.9"]
    assert body["expansion"]["contains"][1]["display"] == "Obesity"


def test_expand_of_a_large_value_set_needs_count(client: httpx.Client) -> None:
    everything = _value_set({"system": ICD10CM})
    response = client.post("/ValueSet/$expand", json=parameters(valueSet=everything))
    assert_outcome(response, 422, error_codes.EXPANSION_TOO_LARGE)
    body = _expand(client, everything, count=5, offset=1)
    assert codes(body) == ["A00-A09", "A00", "A00.0", "A00.1", "A00.9"]
    assert body["expansion"]["total"] > 90_000
    assert body["expansion"]["contains"][0]["abstract"] is True  # a block
    assert "abstract" not in body["expansion"]["contains"][1]


def test_expand_active_only_and_nested_stored_value_sets(client: httpx.Client) -> None:
    system = f"urn:uuid:{uuid.uuid4()}"
    code_system = {
        "resourceType": "CodeSystem",
        "url": system,
        "status": "active",
        "content": "complete",
        "concept": [
            {"code": "a", "display": "A"},
            {"code": "b", "display": "B", "property": [{"code": "inactive", "valueBoolean": True}]},
            {"code": "c", "display": "C"},
        ],
    }
    assert client.post("/CodeSystem", json=code_system).status_code == 201
    inner = _value_set({"system": system, "concept": [{"code": "a"}, {"code": "b"}]})
    assert client.post("/ValueSet", json=inner).status_code == 201
    outer = _value_set({"valueSet": [inner["url"]]})
    created = client.post("/ValueSet", json=outer)
    assert created.status_code == 201
    id_ = created.json()["id"]
    assert codes(client.get(f"/ValueSet/{id_}/$expand").json()) == ["a", "b"]
    active = client.get(f"/ValueSet/{id_}/$expand", params={"activeOnly": "true"}).json()
    assert codes(active) == ["a"]
    by_url = client.get("/ValueSet/$expand", params={"url": outer["url"]}).json()
    assert codes(by_url) == ["a", "b"]


def test_expand_errors(client: httpx.Client) -> None:
    assert_outcome(
        client.get("/ValueSet/$expand", params={"url": "urn:none"}),
        404,
        error_codes.UNKNOWN_VALUE_SET,
    )
    assert_outcome(client.get("/ValueSet/$expand"), 400, error_codes.TERMINOLOGY_BAD_INPUT)
    unknown_system = _value_set({"system": "urn:no-such-system"})
    response = client.post("/ValueSet/$expand", json=parameters(valueSet=unknown_system))
    assert_outcome(response, 404, error_codes.UNKNOWN_CODE_SYSTEM)
    bad_regex = _value_set(_icd("regex", "E11(", "code"))
    response = client.post("/ValueSet/$expand", json=parameters(valueSet=bad_regex))
    assert_outcome(response, 400, error_codes.VALUE_SET_BAD_FILTER)
    query = {"url": GENDER_VS, "count": "-1"}
    assert_outcome(
        client.get("/ValueSet/$expand", params=query), 400, error_codes.TERMINOLOGY_BAD_INPUT
    )


@pytest.mark.parametrize(
    ("query", "result"),
    [
        ({"code": "male", "system": GENDER}, True),
        ({"code": "male"}, True),
        ({"code": "mal", "system": GENDER}, False),
        ({"code": "male", "system": "urn:other"}, False),
        ({"code": "male", "system": GENDER, "display": "Male"}, True),
        ({"code": "male", "system": GENDER, "display": "Female"}, False),
    ],
)
def test_validate_code_in_a_shipped_value_set(
    client: httpx.Client, query: dict[str, str], result: bool
) -> None:
    answer = out(client.get("/ValueSet/$validate-code", params={"url": GENDER_VS} | query))
    assert answer["result"] == [result]
    if result:
        assert answer["display"] == ["Male"]
    else:
        assert answer["message"]


def test_validate_code_in_an_implicit_is_a_value_set(client: httpx.Client) -> None:
    url = f"{ICD10CM}?fhir_vs=isa/E11"
    good = {"url": url, "system": ICD10CM, "code": "E11.65"}
    assert out(client.get("/ValueSet/$validate-code", params=good))["result"] == [True]
    other = {"url": url, "system": ICD10CM, "code": "E10.9"}
    assert out(client.get("/ValueSet/$validate-code", params=other))["result"] == [False]


def test_validate_code_with_codeable_concept_on_a_stored_value_set(client: httpx.Client) -> None:
    created = client.post("/ValueSet", json=_value_set(_icd("is-a", "I10")))
    id_ = created.json()["id"]
    concept = {"coding": [{"system": ICD10CM, "code": "E11.9"}, {"system": ICD10CM, "code": "I10"}]}
    body = parameters(codeableConcept=("valueCodeableConcept", concept))
    assert out(client.post(f"/ValueSet/{id_}/$validate-code", json=body))["result"] == [True]
    miss = parameters(coding=("valueCoding", {"system": ICD10CM, "code": "E11.9"}))
    assert out(client.post(f"/ValueSet/{id_}/$validate-code", json=miss))["result"] == [False]


def test_validate_code_errors(client: httpx.Client) -> None:
    response = client.get("/ValueSet/$validate-code", params={"url": "urn:none", "code": "a"})
    assert_outcome(response, 404, error_codes.UNKNOWN_VALUE_SET)
    response = client.get("/ValueSet/$validate-code", params={"url": GENDER_VS})
    assert_outcome(response, 400, error_codes.TERMINOLOGY_BAD_INPUT)
