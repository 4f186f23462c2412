"""``GET [base]/metadata`` views: ``mode`` (full, normative) and ``_summary=true``.

https://hl7.org/fhir/R4/http.html#capabilities
"""

from __future__ import annotations

from typing import Any

from resources import error_codes
from resources.errors import Invalid

NORMATIVE_TYPES = frozenset(
    {
        "Binary", "Bundle", "CapabilityStatement", "CodeSystem", "Observation",
        "OperationOutcome", "Parameters", "Patient", "StructureDefinition", "ValueSet",
    }
)  # fmt: skip
"""The resource types normative in FHIR R4 (https://hl7.org/fhir/R4/versions.html#std-process)."""

_SUMMARY_TOP = (
    "resourceType", "id", "meta", "url", "version", "name", "title", "status", "date",
    "publisher", "contact", "kind", "software", "implementation", "fhirVersion", "format",
    "patchFormat", "implementationGuide", "rest",
)  # fmt: skip
_SUMMARY_RESOURCE = ("type", "profile", "supportedProfile", "operation")
_SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
}


def normative(statement: dict[str, Any]) -> dict[str, Any]:
    """The statement restricted to the normative resource types."""
    view = dict(statement)
    view["rest"] = [
        {**rest, "resource": [r for r in rest["resource"] if r["type"] in NORMATIVE_TYPES]}
        for rest in statement["rest"]
    ]
    return view


def summary(statement: dict[str, Any]) -> dict[str, Any]:
    """The summary elements of the statement (the definition's ``isSummary`` ones), tagged
    SUBSETTED as the spec asks."""
    view = {key: statement[key] for key in _SUMMARY_TOP if key in statement}
    view["rest"] = [
        {
            key: value
            for key, value in {
                "mode": rest["mode"],
                "security": rest.get("security"),
                "resource": [
                    {k: r[k] for k in _SUMMARY_RESOURCE if k in r} for r in rest["resource"]
                ],
                "operation": rest.get("operation"),
            }.items()
            if value
        }
        for rest in statement["rest"]
    ]
    view["meta"] = {**view.get("meta", {}), "tag": [_SUBSETTED]}
    return view


def view(statement: dict[str, Any], mode: str | None, summary_param: str | None) -> dict[str, Any]:
    """The statement as ``mode`` and ``_summary`` ask; other values are ``Invalid``."""
    if mode not in (None, "full", "normative"):
        raise Invalid(
            f"metadata mode {mode!r} is not supported (full, normative)",
            error_codes.METADATA_BAD_PARAMETER,
        )
    if summary_param not in (None, "true", "false"):
        raise Invalid(
            f"metadata _summary {summary_param!r} is not supported (true, false)",
            error_codes.METADATA_BAD_PARAMETER,
        )
    chosen = normative(statement) if mode == "normative" else statement
    return summary(chosen) if summary_param == "true" else chosen
