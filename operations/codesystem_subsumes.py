"""``CodeSystem/$subsumes``: how two codes of one system relate in its hierarchy.

https://hl7.org/fhir/R4/codesystem-operation-subsumes.html: ``equivalent``, ``subsumes``
(A is above B), ``subsumed-by`` (A is below B) or ``not-subsumed``. Unknown system: 404;
a code not in the system: 400 naming it.
"""

from __future__ import annotations

from typing import Any

from operations.base import OperationContext, OperationResult, parameters_resource
from operations.parameters import Parameters
from operations.terminology_support import Coding, bad_input, code_system_for, coding_of
from resources import error_codes
from resources.errors import Invalid
from terminology.codesystems.concepts import CodeSystemIndex

DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "CodeSystem-subsumes",
    "url": "http://hl7.org/fhir/OperationDefinition/CodeSystem-subsumes",
    "name": "Subsumption Testing",
    "status": "active",
    "kind": "operation",
    "code": "subsumes",
    "resource": ["CodeSystem"],
    "system": False,
    "type": True,
    "instance": True,
    "affectsState": False,
    "parameter": [
        {"name": "codeA", "use": "in", "min": 0, "max": "1", "type": "code"},
        {"name": "codeB", "use": "in", "min": 0, "max": "1", "type": "code"},
        {"name": "system", "use": "in", "min": 0, "max": "1", "type": "uri"},
        {"name": "version", "use": "in", "min": 0, "max": "1", "type": "string"},
        {"name": "codingA", "use": "in", "min": 0, "max": "1", "type": "Coding"},
        {"name": "codingB", "use": "in", "min": 0, "max": "1", "type": "Coding"},
        {"name": "outcome", "use": "out", "min": 1, "max": "1", "type": "code"},
    ],
}


def outcome(index: CodeSystemIndex, code_a: str, code_b: str) -> str:
    """The subsumption relation of A to B."""
    a, b = _concept_code(index, code_a, "A"), _concept_code(index, code_b, "B")
    if a == b:
        return "equivalent"
    if index.is_a(b, a):
        return "subsumes"
    if index.is_a(a, b):
        return "subsumed-by"
    return "not-subsumed"


def _concept_code(index: CodeSystemIndex, code: str, which: str) -> str:
    concept = index.get(code)
    if concept is None:
        raise Invalid(
            f"Code {which} '{code}' is not in {index.url}",
            error_codes.UNKNOWN_CODE,
            (f"Parameters.parameter.code{which}",),
        )
    return concept.code


def _coding(params: Parameters, which: str) -> Coding:
    coding = coding_of(params, f"code{which}", f"coding{which}")
    if coding is None:
        raise bad_input(f"$subsumes needs code{which} or coding{which}", f"code{which}")
    return coding


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """Compare code A with code B."""
    a, b = _coding(params, "A"), _coding(params, "B")
    systems = {s for s in (a.system, b.system) if s}
    if len(systems) > 1:
        raise bad_input("codingA and codingB are of different systems", "codingB")
    system = params.value("system") or next(iter(systems), None)
    index = await code_system_for(ctx, system, params.value("version"))
    relation = outcome(index, a.code, b.code)
    return OperationResult(parameters_resource([{"name": "outcome", "valueCode": relation}]))
