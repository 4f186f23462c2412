"""``Patient/[id]/$clinical-report``: the clinical nutrition report as a FHIR document, a PDF
or an HL7 v2 ORU^R01, computed from the patient's stored resources.

https://nutrivision.example.org/fhir/OperationDefinition/Patient-clinical-report

Everything is read through ``ctx.store``, so the caller's scopes decide what the report can
see; a patient the caller may not see is ``NotFound``. Allergies are always included: a
report that leaves out a severe allergy is worse than a longer one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from operations.base import OperationContext, OperationResult
from operations.parameters import Parameters
from operations.report import content, document, gather, hl7, pdf
from resources import error_codes
from resources.errors import Invalid

PDF = "application/pdf"
HL7_V2 = "x-application/hl7-v2+er7"
FORMATS = ("fhir", "pdf", "hl7")

DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "Patient-clinical-report",
    "url": "https://nutrivision.example.org/fhir/OperationDefinition/Patient-clinical-report",
    "name": "ClinicalReport",
    "title": "Clinical nutrition report",
    "status": "active",
    "kind": "operation",
    "code": "clinical-report",
    "resource": ["Patient"],
    "system": False,
    "type": False,
    "instance": True,
    "affectsState": False,
    "description": "The patient's clinical nutrition report over a period: problems, allergies, "
    "medications, daily intake against targets, trends, lab results, alerts and data quality.",
    "parameter": [
        {
            "name": "format",
            "use": "in",
            "min": 0,
            "max": "1",
            "type": "code",
            "documentation": "fhir (document Bundle, default), pdf or hl7 (ORU^R01)",
        },
        {
            "name": "period",
            "use": "in",
            "min": 0,
            "max": "1",
            "type": "code",
            "documentation": "7_days, 30_days (default) or 90_days, ending today",
        },
        {"name": "start", "use": "in", "min": 0, "max": "1", "type": "date"},
        {"name": "end", "use": "in", "min": 0, "max": "1", "type": "date"},
        {
            "name": "include",
            "use": "in",
            "min": 0,
            "max": "*",
            "type": "string",
            "documentation": "Comma-separated: trends, alerts, medications, allergies, labs, "
            "recommendations (default: all)",
        },
        {
            "name": "attachPdf",
            "use": "in",
            "min": 0,
            "max": "1",
            "type": "boolean",
            "documentation": "format=fhir: add the PDF to the document as a DocumentReference",
        },
        {
            "name": "return",
            "use": "out",
            "min": 1,
            "max": "1",
            "type": "Resource",
            "documentation": "A document Bundle, or a DocumentReference holding the PDF",
        },
    ],
}


def _include(params: Parameters) -> frozenset[str]:
    named = {n.strip() for v in params.values("include") for n in str(v).split(",") if n.strip()}
    unknown = named - set(content.INCLUDES)
    if unknown:
        raise Invalid(f"include does not know {sorted(unknown)}", error_codes.REPORT_BAD_PARAMETER)
    return frozenset(named or content.INCLUDES) | {"allergies"}


def _format(ctx: OperationContext, params: Parameters) -> str:
    chosen = params.value("format")
    if chosen is None:
        accept = ctx.headers.get("accept", "")
        return "pdf" if PDF in accept else "hl7" if "hl7-v2" in accept else "fhir"
    if chosen not in FORMATS:
        raise Invalid(
            f"format must be one of {', '.join(FORMATS)}", error_codes.REPORT_BAD_PARAMETER
        )
    return str(chosen)


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """Build the report in the asked format."""
    _, patient_id = ctx.instance()
    today = datetime.now(UTC).date()
    period = gather.resolve_period(
        params.value("period"), params.value("start"), params.value("end"), today
    )
    kind, include = _format(ctx, params), _include(params)
    if kind == "hl7":
        include |= {"labs"}  # the ORU^R01 carries the lab results
    record = await gather.gather(ctx, patient_id, period)
    report = content.build(record, period, include)
    if kind == "hl7":
        return OperationResult(hl7.oru(report, record).encode("utf-8"), media_type=HL7_V2)
    if kind == "pdf":
        rendered = pdf.render(report)
        if PDF in ctx.headers.get("accept", ""):
            headers = {"Content-Disposition": 'inline; filename="clinical-report.pdf"'}
            return OperationResult(rendered, media_type=PDF, headers=headers)
        return OperationResult(
            document.pdf_reference(rendered, report["patient"]["reference"], report)
        )
    attached = pdf.render(report) if params.value("attachPdf") is True else None
    return OperationResult(document.document(report, record, ctx.base_url, attached))
