"""ConceptMap $translate over HTTP: the specification's maps and a stored one."""

from __future__ import annotations

import uuid

import httpx
import pytest

from resources import error_codes
from tests.integration.fhir_http import assert_outcome
from tests.integration.terminology.helpers import out

pytestmark = pytest.mark.integration

COMPOSITION_STATUS = "http://hl7.org/fhir/composition-status"
ACT_STATUS = "http://terminology.hl7.org/CodeSystem/v3-ActStatus"


def test_translate_the_specifications_example(client: httpx.Client) -> None:
    query = {
        "system": COMPOSITION_STATUS,
        "code": "preliminary",
        "source": "http://hl7.org/fhir/ValueSet/composition-status",
        "target": "http://terminology.hl7.org/ValueSet/v3-ActStatus",
    }
    answer = out(client.get("/ConceptMap/$translate", params=query))
    assert answer["result"] == [True]
    assert answer["match"] == [
        {
            "equivalence": "equivalent",
            "concept": {"system": ACT_STATUS, "code": "active"},
            "source": "http://hl7.org/fhir/ConceptMap/cm-composition-status-v3",
        }
    ]


def test_translate_in_reverse(client: httpx.Client) -> None:
    query = {
        "system": ACT_STATUS,
        "code": "completed",
        "targetsystem": COMPOSITION_STATUS,
        "reverse": "true",
    }
    matches = out(client.get("/ConceptMap/$translate", params=query))["match"]
    assert {(m["concept"]["code"], m["equivalence"]) for m in matches} == {
        ("final", "narrower"),
        ("amended", "narrower"),
    }


def test_translate_by_map_url_uses_unmapped_fixed(client: httpx.Client) -> None:
    query = {
        "url": "http://hl7.org/fhir/ConceptMap/101",
        "system": "http://hl7.org/fhir/address-use",
        "code": "billing",
    }
    answer = out(client.get("/ConceptMap/$translate", params=query))
    assert answer["match"][0]["concept"]["code"] == "temp"
    query["code"] = "old"
    disjoint = out(client.get("/ConceptMap/$translate", params=query))
    assert disjoint["result"] == [False]
    assert disjoint["match"][0]["equivalence"] == "disjoint"


def test_translate_with_a_stored_map_and_no_match(client: httpx.Client) -> None:
    source, target = f"urn:uuid:{uuid.uuid4()}", f"urn:uuid:{uuid.uuid4()}"
    concept_map = {
        "resourceType": "ConceptMap",
        "status": "active",
        "url": f"urn:uuid:{uuid.uuid4()}",
        "group": [
            {
                "source": source,
                "target": target,
                "element": [
                    {"code": "a", "target": [{"code": "x", "display": "X", "equivalence": "equal"}]}
                ],
            }
        ],
    }
    created = client.post("/ConceptMap", json=concept_map)
    assert created.status_code == 201, created.text
    answer = out(client.get("/ConceptMap/$translate", params={"system": source, "code": "a"}))
    assert answer["match"][0]["concept"] == {"system": target, "code": "x", "display": "X"}
    instance = f"/ConceptMap/{created.json()['id']}/$translate"
    assert out(client.get(instance, params={"system": source, "code": "a"}))["result"] == [True]
    none = out(client.get("/ConceptMap/$translate", params={"system": source, "code": "zz"}))
    assert none["result"] == [False]
    assert "zz" in none["message"][0]


def test_translate_errors(client: httpx.Client) -> None:
    response = client.get("/ConceptMap/$translate", params={"url": "urn:none", "code": "a"})
    assert_outcome(response, 404, error_codes.UNKNOWN_CONCEPT_MAP)
    assert_outcome(client.get("/ConceptMap/$translate"), 400, error_codes.TERMINOLOGY_BAD_INPUT)
