"""CodeSystem $lookup, $validate-code and $subsumes over HTTP, on shipped and stored systems."""

from __future__ import annotations

import uuid

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import assert_outcome
from tests.integration.terminology.helpers import ICD10CM, LOINC, out, parameters, properties

pytestmark = pytest.mark.integration

GENDER = "http://hl7.org/fhir/administrative-gender"


def test_lookup_of_the_specifications_example_code(client: httpx.Client) -> None:
    # the R4 example: GET [base]/CodeSystem/$lookup?system=http://loinc.org&code=1963-8 is not
    # in our subset; the FHIR-defined gender code system is complete here
    response = client.get("/CodeSystem/$lookup", params={"system": GENDER, "code": "male"})
    result = out(response)
    assert result["display"] == ["Male"]
    assert result["name"][0]
    assert result["version"] == ["4.0.1"]


def test_lookup_of_an_icd10cm_code_gives_display_and_hierarchy(client: httpx.Client) -> None:
    response = client.get("/CodeSystem/$lookup", params={"system": ICD10CM, "code": "E11.9"})
    assert out(response)["display"] == ["Type 2 diabetes mellitus without complications"]
    props = properties(response)
    assert props["parent"] == ["E11"]
    assert "child" not in props
    assert props["inactive"] == [False]
    category = properties(
        client.get("/CodeSystem/$lookup", params={"system": ICD10CM, "code": "E11"})
    )
    assert "E11.9" in category["child"]
    assert category["parent"] == ["E08-E13"]


def test_lookup_by_coding_in_a_parameters_body(client: httpx.Client) -> None:
    body = parameters(coding=("valueCoding", {"system": LOINC, "code": "4548-4"}))
    result = out(client.post("/CodeSystem/$lookup", json=body))
    assert result["display"] == ["Hemoglobin A1c/Hemoglobin.total in Blood"]


def test_lookup_of_unknown_system_and_code_is_404(client: httpx.Client) -> None:
    unknown_system = client.get("/CodeSystem/$lookup", params={"system": "urn:none", "code": "x"})
    assert_outcome(unknown_system, 404, error_codes.UNKNOWN_CODE_SYSTEM)
    unknown_code = client.get("/CodeSystem/$lookup", params={"system": ICD10CM, "code": "E11.999"})
    body = assert_outcome(unknown_code, 404, error_codes.UNKNOWN_CODE)
    assert "E11.999" in body["issue"][0]["diagnostics"]
    assert_outcome(client.get("/CodeSystem/$lookup"), 400, error_codes.TERMINOLOGY_BAD_INPUT)


@pytest.mark.parametrize(
    ("code", "display", "result"),
    [
        ("E11.9", None, True),
        ("E11", None, True),
        ("E11.9", "Type 2 diabetes mellitus without complications", True),
        ("E11.9", "Type 1 diabetes", False),
        ("Q99.999", None, False),
        ("E08-E13", None, False),
    ],
)
def test_validate_code_in_icd10cm(
    client: httpx.Client, code: str, display: str | None, result: bool
) -> None:
    query = {"url": ICD10CM, "code": code} | ({"display": display} if display else {})
    answer = out(client.get("/CodeSystem/$validate-code", params=query))
    assert answer["result"] == [result]
    if not result:
        assert code in answer["message"][0] or "display" in answer["message"][0]


def test_validate_code_with_a_codeable_concept(client: httpx.Client) -> None:
    concept = {"coding": [{"system": ICD10CM, "code": "nope"}, {"system": ICD10CM, "code": "I10"}]}
    body = parameters(url=("valueUri", ICD10CM), codeableConcept=("valueCodeableConcept", concept))
    answer = out(client.post("/CodeSystem/$validate-code", json=body))
    assert answer["result"] == [True]
    assert answer["display"] == ["Essential (primary) hypertension"]


def test_validate_code_in_an_unknown_system_is_404(client: httpx.Client) -> None:
    response = client.get("/CodeSystem/$validate-code", params={"url": "urn:none", "code": "a"})
    assert_outcome(response, 404, error_codes.UNKNOWN_CODE_SYSTEM)


@pytest.mark.parametrize(
    ("a", "b", "relation"),
    [
        ("E11", "E11.9", "subsumes"),
        ("E11.9", "E11", "subsumed-by"),
        ("E08-E13", "E11.65", "subsumes"),
        ("E11.9", "E11.9", "equivalent"),
        ("E11.9", "I10", "not-subsumed"),
    ],
)
def test_subsumes_in_icd10cm(client: httpx.Client, a: str, b: str, relation: str) -> None:
    query = {"system": ICD10CM, "codeA": a, "codeB": b}
    assert out(client.get("/CodeSystem/$subsumes", params=query))["outcome"] == [relation]


def test_subsumes_with_an_unknown_code_is_400(client: httpx.Client) -> None:
    query = {"system": ICD10CM, "codeA": "E11", "codeB": "ZZZ"}
    body = assert_outcome(
        client.get("/CodeSystem/$subsumes", params=query), 400, error_codes.UNKNOWN_CODE
    )
    assert "ZZZ" in body["issue"][0]["diagnostics"]


def _stored_code_system(client: httpx.Client) -> tuple[str, str]:
    url = f"urn:uuid:{uuid.uuid4()}"
    resource = {
        "resourceType": "CodeSystem",
        "url": url,
        "status": "active",
        "content": "complete",
        "hierarchyMeaning": "is-a",
        "concept": [
            {
                "code": "fruit",
                "display": "Fruit",
                "concept": [
                    {
                        "code": "apple",
                        "display": "Apple",
                        "designation": [{"language": "fr", "value": "Pomme"}],
                    },
                    {
                        "code": "pear",
                        "display": "Pear",
                        "property": [{"code": "status", "valueCode": "retired"}],
                    },
                ],
            },
            {"code": "veg", "display": "Vegetable"},
        ],
    }
    created = client.post("/CodeSystem", json=resource)
    assert created.status_code == 201, created.text
    return url, str(created.json()["id"])


def test_stored_code_system_at_type_and_instance_level(client: httpx.Client) -> None:
    url, id_ = _stored_code_system(client)
    assert out(client.get("/CodeSystem/$lookup", params={"system": url, "code": "apple"}))[
        "display"
    ] == ["Apple"]
    lookup = out(client.get(f"/CodeSystem/{id_}/$lookup", params={"code": "apple"}))
    assert lookup["designation"] == [{"language": "fr", "value": "Pomme"}]
    assert properties(client.get(f"/CodeSystem/{id_}/$lookup", params={"code": "pear"}))[
        "inactive"
    ] == [True]
    subsumes = client.get(
        f"/CodeSystem/{id_}/$subsumes", params={"codeA": "fruit", "codeB": "pear"}
    )
    assert out(subsumes)["outcome"] == ["subsumes"]
    validate = out(client.get(f"/CodeSystem/{id_}/$validate-code", params={"code": "kiwi"}))
    assert validate["result"] == [False]
    assert_outcome(
        client.get("/CodeSystem/no-such-id/$lookup", params={"code": "a"}),
        404,
        error_codes.RESOURCE_NOT_FOUND,
    )


def test_ucum_codes_are_checked_by_grammar(client: httpx.Client) -> None:
    ucum = "http://unitsofmeasure.org"
    good = out(client.get("/CodeSystem/$validate-code", params={"url": ucum, "code": "mg/dL"}))
    assert good["result"] == [True]
    bad = out(client.get("/CodeSystem/$validate-code", params={"url": ucum, "code": "mg/dq"}))
    assert bad["result"] == [False]


def test_a_code_outside_the_loinc_subset_is_unknown_not_invalid(client: httpx.Client) -> None:
    answer = out(client.get("/CodeSystem/$validate-code", params={"url": LOINC, "code": "1963-8"}))
    assert answer["result"] == [False]
    assert "fragment" in answer["message"][0]
    known = out(client.get("/CodeSystem/$validate-code", params={"url": LOINC, "code": "2345-7"}))
    assert known["result"] == [True]
