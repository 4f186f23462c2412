"""ICD-10-CM codes checked when a resource is written.

A coding with the ICD-10-CM system in a checked element must name a code of the FY2026 code
set (not a chapter or block); a category that has codes below it (``E11``) is valid but not
billable. What each finding does is configured: ``reject`` (an error: the write fails),
``warn`` (a warning: the write goes through) or ``off``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from resources import error_codes
from resources.errors import Issue, Severity
from terminology.icd10cm.codesystem import SYSTEM, code_system

Mode = Literal["reject", "warn", "off"]

CHECKED_ELEMENTS: Mapping[str, tuple[str, ...]] = {
    "Condition": ("code",),
}
"""Resource type -> CodeableConcept elements whose ICD-10-CM codings are checked."""


@dataclass(frozen=True)
class CodeCheck:
    """Findings: errors fail the write, warnings go back with the answer."""

    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)


def check_icd10cm_codes(
    resource_type: str,
    resource: Mapping[str, Any],
    invalid: Mode = "reject",
    non_leaf: Mode = "warn",
) -> CodeCheck:
    """Check every ICD-10-CM coding of the resource's checked elements."""
    result = CodeCheck()
    for element in CHECKED_ELEMENTS.get(resource_type, ()):
        concept = resource.get(element)
        if not isinstance(concept, Mapping):
            continue
        for position, coding in enumerate(concept.get("coding", [])):
            if isinstance(coding, Mapping) and coding.get("system") == SYSTEM:
                where = f"{resource_type}.{element}.coding[{position}].code"
                _check(coding.get("code"), where, invalid, non_leaf, result)
    return result


def _check(code: object, where: str, invalid: Mode, non_leaf: Mode, result: CodeCheck) -> None:
    if not isinstance(code, str):
        return
    index = code_system()
    concept = index.get(code)
    if concept is None or concept.abstract:
        _record(result, invalid, error_codes.ICD10CM_INVALID_CODE, where, _invalid_text(code))
    elif not index.is_leaf(code):
        below = len(index.children.get(code, []))
        text = (
            f"ICD-10-CM code '{code}' ({concept.display}) is a category with {below} codes "
            "below it, not a billable code: use the most specific code"
        )
        _record(result, non_leaf, error_codes.ICD10CM_NOT_A_LEAF, where, text)


def _invalid_text(code: str) -> str:
    index = code_system()
    concept = index.get(code)
    if concept is not None:
        return f"'{code}' is an ICD-10-CM {concept.property_values('kind')[0]}, not a code"
    text = f"'{code}' is not an ICD-10-CM code (FY2026 code set)"
    dotted = f"{code[:3]}.{code[3:]}" if len(code) > 3 and "." not in code else None
    if dotted and index.get(dotted) is not None:
        text += f"; codes are written with their dot: '{dotted}'"
    return text


def _record(result: CodeCheck, mode: Mode, nv_code: str, where: str, text: str) -> None:
    if mode == "off":
        return
    severity: Severity = "error" if mode == "reject" else "warning"
    issue = Issue(severity, "code-invalid", text, (where,), nv_code)
    (result.errors if mode == "reject" else result.warnings).append(issue)
