"""``ValueSet/$validate-code``: is a code (with its display) in a value set?

https://hl7.org/fhir/R4/valueset-operation-validate-code.html. The value set is the instance,
``url`` or a ``valueSet`` resource; the code comes as ``code`` + ``system``, ``coding`` or
``codeableConcept`` (valid when one of its codings is). An unknown value set is a 404.
"""

from __future__ import annotations

from typing import Any

from operations.base import OperationContext, OperationResult
from operations.codesystem_validate_code import verdict_parameters
from operations.parameters import Parameters
from operations.terminology_support import (
    Coding,
    bad_input,
    coding_of,
    codings_of,
    value_set_for,
)
from terminology.codesystems.expansions import members
from terminology.codesystems.validation import Verdict, in_value_set

DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "ValueSet-validate-code",
    "url": "http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code",
    "name": "Value Set based Validation",
    "status": "active",
    "kind": "operation",
    "code": "validate-code",
    "resource": ["ValueSet"],
    "system": False,
    "type": True,
    "instance": True,
    "affectsState": False,
    "parameter": [
        {"name": "url", "use": "in", "min": 0, "max": "1", "type": "uri"},
        {"name": "context", "use": "in", "min": 0, "max": "1", "type": "uri"},
        {"name": "valueSet", "use": "in", "min": 0, "max": "1", "type": "ValueSet"},
        {"name": "valueSetVersion", "use": "in", "min": 0, "max": "1", "type": "string"},
        {"name": "code", "use": "in", "min": 0, "max": "1", "type": "code"},
        {"name": "system", "use": "in", "min": 0, "max": "1", "type": "uri"},
        {"name": "systemVersion", "use": "in", "min": 0, "max": "1", "type": "string"},
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


def _codings(params: Parameters) -> list[Coding]:
    if params.has("codeableConcept"):
        return codings_of(params.value("codeableConcept"))
    coding = coding_of(params)
    if coding is None:
        raise bad_input("$validate-code needs a code, a coding or a codeableConcept", "code")
    return [coding]


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """Validate the code(s) against the value set's expansion."""
    codings = _codings(params)
    value_set, sources = await value_set_for(ctx, params)
    found = members(value_set, sources)
    url = str(value_set.get("url") or f"ValueSet/{value_set.get('id')}")
    abstract = params.value("abstract") is True
    verdicts: list[Verdict] = []
    for coding in codings:
        index = sources.code_system(coding.system, coding.version) if coding.system else None
        verdicts.append(
            in_value_set(found, url, coding.code, coding.system, coding.display, abstract, index)
        )
    verdict = next((v for v in verdicts if v.result), verdicts[0])
    return OperationResult(verdict_parameters(verdict))
