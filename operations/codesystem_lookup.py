"""``CodeSystem/$lookup``: the details of a code (display, designations, properties).

https://hl7.org/fhir/R4/codesystem-operation-lookup.html. At type level the system comes from
``system`` (or ``coding``); at instance level it is the stored CodeSystem. An unknown system
or code is a 404 with an OperationOutcome naming it.
"""

from __future__ import annotations

from typing import Any

from operations.base import OperationContext, OperationResult, parameters_resource
from operations.parameters import Parameters
from operations.terminology_support import bad_input, code_system_for, coding_of
from resources import error_codes
from resources.errors import NotFound
from terminology.codesystems.concepts import CodeSystemIndex, Concept

DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "CodeSystem-lookup",
    "url": "http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup",
    "name": "Concept Look Up & Decomposition",
    "status": "active",
    "kind": "operation",
    "code": "lookup",
    "resource": ["CodeSystem"],
    "system": False,
    "type": True,
    "instance": True,
    "affectsState": False,
    "parameter": [
        {"name": "code", "use": "in", "min": 0, "max": "1", "type": "code"},
        {"name": "system", "use": "in", "min": 0, "max": "1", "type": "uri"},
        {"name": "version", "use": "in", "min": 0, "max": "1", "type": "string"},
        {"name": "coding", "use": "in", "min": 0, "max": "1", "type": "Coding"},
        {"name": "date", "use": "in", "min": 0, "max": "1", "type": "dateTime"},
        {"name": "displayLanguage", "use": "in", "min": 0, "max": "1", "type": "code"},
        {"name": "property", "use": "in", "min": 0, "max": "*", "type": "code"},
        {"name": "name", "use": "out", "min": 1, "max": "1", "type": "string"},
        {"name": "version", "use": "out", "min": 0, "max": "1", "type": "string"},
        {"name": "display", "use": "out", "min": 1, "max": "1", "type": "string"},
        {"name": "designation", "use": "out", "min": 0, "max": "*"},
        {"name": "property", "use": "out", "min": 0, "max": "*"},
    ],
}

_HIERARCHY = ("parent", "child", "inactive")


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """Look the code up in the code system the request names."""
    coding = coding_of(params)
    if coding is None:
        raise bad_input("$lookup needs a code (with system) or a coding", "code")
    code_system = await code_system_for(ctx, coding.system, coding.version)
    concept = code_system.get(coding.code)
    if concept is None:
        raise NotFound(
            f"Code '{coding.code}' is not in {code_system.url}"
            + (f" version {code_system.version}" if code_system.version else ""),
            error_codes.UNKNOWN_CODE,
            ("Parameters.parameter.code",),
        )
    wanted = {str(v) for v in params.values("property")}
    return OperationResult(parameters_resource(lookup_parameters(code_system, concept, wanted)))


def lookup_parameters(
    code_system: CodeSystemIndex, concept: Concept, wanted: set[str]
) -> list[dict[str, Any]]:
    """The output parameters for ``concept`` (all properties when ``wanted`` is empty)."""
    out: list[dict[str, Any]] = [
        {"name": "name", "valueString": code_system.title or code_system.name or code_system.url}
    ]
    if code_system.version:
        out.append({"name": "version", "valueString": code_system.version})
    out.append({"name": "display", "valueString": concept.display or concept.code})
    if concept.definition and _asked("definition", wanted):
        out.append({"name": "definition", "valueString": concept.definition})
    out.extend(_designation(d) for d in concept.designations)
    out.extend(_properties(code_system, concept, wanted))
    return out


def _asked(name: str, wanted: set[str]) -> bool:
    return not wanted or name in wanted


def _designation(designation: dict[str, Any]) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    if designation.get("language"):
        parts.append({"name": "language", "valueCode": designation["language"]})
    if isinstance(designation.get("use"), dict):
        parts.append({"name": "use", "valueCoding": designation["use"]})
    parts.append({"name": "value", "valueString": str(designation.get("value", ""))})
    return {"name": "designation", "part": parts}


def _property(code: str, value_key: str, value: Any) -> dict[str, Any]:
    return {
        "name": "property",
        "part": [{"name": "code", "valueCode": code}, {"name": "value", value_key: value}],
    }


def _properties(
    code_system: CodeSystemIndex, concept: Concept, wanted: set[str]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if _asked("parent", wanted):
        out.extend(_property("parent", "valueCode", p) for p in concept.parents)
    if _asked("child", wanted):
        out.extend(
            _property("child", "valueCode", c) for c in code_system.children.get(concept.code, [])
        )
    if _asked("inactive", wanted):
        out.append(_property("inactive", "valueBoolean", concept.inactive))
    for prop in concept.properties:
        name = str(prop.get("code"))
        if name in _HIERARCHY or not _asked(name, wanted):
            continue
        value_key = next((k for k in prop if k.startswith("value")), None)
        if value_key is not None:
            out.append(_property(name, value_key, prop[value_key]))
    return out
