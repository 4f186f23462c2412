"""Every case of the official FHIRPath Patch tests, converted from FHIR XML to FHIR JSON."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from resources.fhirpath_patch import Operation, PatchError, apply_patch, parse_operations
from resources.model import element_shape

_CASES = Path(__file__).parents[2] / "fixtures" / "fhirpath-patch" / "fhir-patch-tests.xml"
_FHIR = "{http://hl7.org/fhir}"
_XHTML = "{http://www.w3.org/1999/xhtml}"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _canonical(xhtml: str) -> str:
    """The narrative in one canonical form: XML and JSON spell namespaces differently."""
    return ET.canonicalize(xhtml, strip_text=True)


def _normal(resource: dict[str, Any]) -> dict[str, Any]:
    text = resource.get("text")
    if isinstance(text, dict) and "div" in text:
        return {**resource, "text": {**text, "div": _canonical(text["div"])}}
    return resource


def _primitive(kind: str, text: str) -> Any:
    if kind == "boolean":
        return text == "true"
    if kind == "integer":
        return int(text)
    if kind == "decimal":
        return float(text)
    return text


def _child_value(element: ET.Element, resource_type: str, names: tuple[str, ...]) -> Any:
    if element.tag == f"{_XHTML}div":
        return _canonical(ET.tostring(element, encoding="unicode", default_namespace=_XHTML[1:-1]))
    shape = element_shape(resource_type, names)
    kind = shape[0] if shape else "string"
    if kind == "resource":
        inner = next(iter(element))
        return _resource(inner)
    if "value" in element.attrib and not list(element):
        return _primitive(kind, element.attrib["value"])
    return _object(element, resource_type, names)


def _object(element: ET.Element, resource_type: str, names: tuple[str, ...]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for child in element:
        name = _local(child.tag)
        inner = (*names, name)
        value = _child_value(child, resource_type, inner)
        shape = element_shape(resource_type, inner)
        if shape is not None and shape[1]:
            result.setdefault(name, []).append(value)
        else:
            result[name] = value
    return result


def _resource(element: ET.Element) -> dict[str, Any]:
    resource_type = _local(element.tag)
    return {"resourceType": resource_type, **_object(element, resource_type, ())}


def _case_resource(case: ET.Element, part: str) -> dict[str, Any]:
    holder = case.find(part)
    assert holder is not None
    return _resource(next(iter(holder)))


def _cases() -> list[Any]:
    root = ET.parse(_CASES).getroot()  # noqa: S314 (a fixture file of this repository)
    return [pytest.param(case, id=case.attrib["name"]) for case in root.iter("case")]


def test_the_fixture_has_all_33_cases() -> None:
    assert len(_cases()) == 33


@pytest.mark.parametrize("case", _cases())
def test_official_case(case: ET.Element) -> None:
    source = _case_resource(case, "input")
    operations = parse_operations(_case_resource(case, "diff"))
    error = case.find("error")
    if error is not None:
        with pytest.raises(PatchError, match="No content found"):
            apply_patch(source, operations)
        return
    assert _normal(apply_patch(source, operations)) == _case_resource(case, "output")


def test_the_input_is_not_modified() -> None:
    source = {"resourceType": "Patient", "birthDate": "1920-01-01"}
    patched = apply_patch(source, [Operation("delete", "Patient.birthDate")])
    assert patched == {"resourceType": "Patient"}
    assert source == {"resourceType": "Patient", "birthDate": "1920-01-01"}


def test_where_selects_by_criterion() -> None:
    source = {
        "resourceType": "Patient",
        "identifier": [{"use": "usual", "value": "a"}, {"use": "official", "value": "b"}],
    }
    path = "Patient.identifier.where(use = 'official').value"
    patched = apply_patch(source, [Operation("replace", path, value="c")])
    assert patched["identifier"] == [
        {"use": "usual", "value": "a"},
        {"use": "official", "value": "c"},
    ]


@pytest.mark.parametrize(
    ("operation", "invalid"),
    [
        (Operation("replace", "Patient.name", value="x"), False),  # no such element
        (Operation("replace", "Patient.identifier", value={"value": "x"}), False),  # two
        (Operation("insert", "Patient.identifier", value={"value": "x"}, index=5), False),
        (Operation("move", "Patient.identifier", source=0, destination=2), False),
        (Operation("replace", "Observation.status", value="final"), True),
        (Operation("delete", "Patient.identifier.exists()"), True),
        (Operation("delete", "Patient.identifier.where(use = )"), True),
    ],
)
def test_operations_that_cannot_apply(operation: Operation, invalid: bool) -> None:
    source = {"resourceType": "Patient", "identifier": [{"value": "a"}, {"value": "b"}]}
    with pytest.raises(PatchError) as raised:
        apply_patch(source, [operation])
    assert raised.value.invalid is invalid


@pytest.mark.parametrize(
    "body",
    [
        {"resourceType": "Patient"},
        {"resourceType": "Parameters", "parameter": [{"name": "other"}]},
        {"resourceType": "Parameters", "parameter": [{"name": "operation", "part": []}]},
        {
            "resourceType": "Parameters",
            "parameter": [
                {
                    "name": "operation",
                    "part": [
                        {"name": "type", "valueCode": "explode"},
                        {"name": "path", "valueString": "Patient"},
                    ],
                }
            ],
        },
        {
            "resourceType": "Parameters",
            "parameter": [{"name": "operation", "part": [{"name": "colour", "valueString": "x"}]}],
        },
    ],
)
def test_malformed_patch_documents(body: dict[str, Any]) -> None:
    with pytest.raises(PatchError) as raised:
        parse_operations(body)
    assert raised.value.invalid
