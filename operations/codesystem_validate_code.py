"""``CodeSystem/$validate-code``: is a code (with its display) valid in a code system?

https://hl7.org/fhir/R4/codesystem-operation-validate-code.html. The system is the instance,
``url``, a ``codeSystem`` resource, or the system of ``coding``; a CodeableConcept is valid
when one of its codings of that system is. An unknown code system is a 404.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from operations.base import OperationContext, OperationResult, parameters_resource
from operations.parameters import Parameters
from operations.terminology_support import Coding, bad_input, code_system_for, coding_of, codings_of
from terminology.codesystems import index_from_resource
from terminology.codesystems.concepts import CodeSystemIndex
from terminology.codesystems.validation import Verdict, in_code_system

DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "CodeSystem-validate-code",
    "url": "http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code",
    "name": "Code System based Validation",
    "status": "active",
    "kind": "operation",
    "code": "validate-code",
    "resource": ["CodeSystem"],
    "system": False,
    "type": True,
    "instance": True,
    "affectsState": False,
    "parameter": [
        {"name": "url", "use": "in", "min": 0, "max": "1", "type": "uri"},
        {"name": "codeSystem", "use": "in", "min": 0, "max": "1", "type": "CodeSystem"},
        {"name": "code", "use": "in", "min": 0, "max": "1", "type": "code"},
        {"name": "version", "use": "in", "min": 0, "max": "1", "type": "string"},
        {"name": "display", "use": "in", "min": 0, "max": "1", "type": "string"},
        {"name": "coding", "use": "in", "min": 0, "max": "1", "type": "Coding"},
        {"name": "codeableConcept", "use": "in", "min": 0, "max": "1", "type": "CodeableConcept"},
        {"name": "date", "use": "in", "min": 0, "max": "1", "type": "dateTime"},
        {"name": "abstract", "use": "in", "min": 0, "max": "1", "type": "boolean"},
        {"name": "displayLanguage", "use": "in", "min": 0, "max": "1", "type": "code"},
        {"name": "result", "use": "out", "min": 1, "max": "1", "type": "boolean"},
        {"name": "message", "use": "out", "min": 0, "max": "1", "type": "string"},
        {"name": "display", "use": "out", "min": 0, "max": "1", "type": "string"},
    ],
}


def verdict_parameters(verdict: Verdict) -> dict[str, Any]:
    """The ``Parameters`` answer of a ``$validate-code``."""
    out: list[dict[str, Any]] = [{"name": "result", "valueBoolean": verdict.result}]
    if verdict.message:
        out.append({"name": "message", "valueString": verdict.message})
    if verdict.display:
        out.append({"name": "display", "valueString": verdict.display})
    return parameters_resource(out)


def _codings(params: Parameters) -> list[Coding]:
    if params.has("codeableConcept"):
        return codings_of(params.value("codeableConcept"))
    coding = coding_of(params)
    if coding is None:
        raise bad_input("$validate-code needs a code, a coding or a codeableConcept", "code")
    return [coding]


async def _code_system(
    ctx: OperationContext, params: Parameters, codings: list[Coding]
) -> CodeSystemIndex:
    resource = params.value("codeSystem")
    if isinstance(resource, Mapping):
        return index_from_resource(resource)
    url = params.value("url") or next((c.system for c in codings if c.system), None)
    return await code_system_for(ctx, url, params.value("version"), "url")


def check(index: CodeSystemIndex, codings: list[Coding], abstract: bool) -> Verdict:
    """The first valid verdict among the codings of this system, else the first failure."""
    verdicts = []
    for coding in codings:
        if coding.system and coding.system != index.url:
            verdicts.append(Verdict(False, f"The system {coding.system} is not {index.url}"))
            continue
        verdicts.append(in_code_system(index, coding.code, coding.display, abstract))
    return next((v for v in verdicts if v.result), verdicts[0])


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """Validate the code(s) against the code system."""
    codings = _codings(params)
    index = await _code_system(ctx, params, codings)
    return OperationResult(
        verdict_parameters(check(index, codings, params.value("abstract") is True))
    )
