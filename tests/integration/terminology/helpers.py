"""Reading terminology operation answers in tests."""

from __future__ import annotations

from typing import Any

import httpx

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def out(response: httpx.Response) -> dict[str, list[Any]]:
    """A 200 Parameters answer as name -> values (``value[x]``, or the parts of a group)."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["resourceType"] == "Parameters", body
    found: dict[str, list[Any]] = {}
    for parameter in body.get("parameter", []):
        value = next((v for k, v in parameter.items() if k.startswith("value")), None)
        if value is None and "part" in parameter:
            value = {p["name"]: _part_value(p) for p in parameter["part"]}
        found.setdefault(parameter["name"], []).append(value)
    return found


def _part_value(part: dict[str, Any]) -> Any:
    return next((v for k, v in part.items() if k.startswith("value")), None)


def properties(response: httpx.Response) -> dict[str, list[Any]]:
    """$lookup ``property`` outputs as code -> values."""
    found: dict[str, list[Any]] = {}
    for prop in out(response).get("property", []):
        found.setdefault(prop["code"], []).append(prop["value"])
    return found


def codes(expansion: dict[str, Any]) -> list[str]:
    """The codes of an expanded ValueSet, in order."""
    return [item["code"] for item in expansion["expansion"].get("contains", [])]


def parameters(**values: Any) -> dict[str, Any]:
    """A Parameters body: ``valueX`` keys chosen by the Python type or given as (key, value)."""
    entries = []
    for name, value in values.items():
        if isinstance(value, tuple):
            entries.append({"name": name, value[0]: value[1]})
        elif isinstance(value, bool):
            entries.append({"name": name, "valueBoolean": value})
        elif isinstance(value, int):
            entries.append({"name": name, "valueInteger": value})
        elif isinstance(value, dict) and "resourceType" in value:
            entries.append({"name": name, "resource": value})
        else:
            entries.append({"name": name, "valueString": value})
    return {"resourceType": "Parameters", "parameter": entries}
