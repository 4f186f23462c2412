"""``Patient/[id]/$clinical-report``: the clinical nutrition report as a FHIR document, a PDF
or an HL7 v2 ORU^R01, computed from the patient's stored resources.

https://nutrivision.example.org/fhir/OperationDefinition/Patient-clinical-report

Everything is read through ``ctx.store``, so the caller's scopes decide what the report can
see; a patient the caller may not see is ``NotFound``. Allergies are always included: a
report that leaves out a severe allergy is worse than a longer one.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from operations.base import OperationContext, OperationResult
from operations.parameters import Parameters
from operations.report import content, document, gather, hl7, pdf
from resources import error_codes, fhir_json
from resources.errors import Invalid, Issue, Unprocessable, operation_outcome

PDF = "application/pdf"
FHIR_JSON = "application/fhir+json"
HL7_V2 = "x-application/hl7-v2+er7"
FORMATS = ("fhir", "pdf", "hl7")
KIND = "clinical-report"
"""The job kind of a report built in the background."""
STATUS_PATH = "_report-status"

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
    """Build the report in the asked format; a large one (or one asked with
    ``Prefer: respond-async``) as a background job: 202 and its status URL."""
    _, patient_id = ctx.instance()
    today = datetime.now(UTC).date()
    period = gather.resolve_period(
        params.value("period"), params.value("start"), params.value("end"), today
    )
    kind, include = _format(ctx, params), _include(params)
    if kind == "hl7":
        include |= {"labs"}  # the ORU^R01 carries the lab results
    record = await gather.gather(ctx, patient_id, period)
    job_input = {
        "patient": record.patient,
        "by_type": record.by_type,
        "kind": kind,
        "period": [period.start.isoformat(), period.end.isoformat()],
        "include": sorted(include),
        "accept_pdf": PDF in ctx.headers.get("accept", ""),
        "base_url": ctx.base_url,
        "attach": params.value("attachPdf") is True,
    }
    if _asynchronous(ctx, record):
        return await _submit(ctx, job_input)
    return await asyncio.to_thread(render, job_input)


def _asynchronous(ctx: OperationContext, record: gather.Record) -> bool:
    if "respond-async" in ctx.headers.get("prefer", ""):
        return True
    limit = ctx.services.get("report_async_intakes")
    return isinstance(limit, int) and len(record.of("NutritionIntake")) > limit


def authorization_digest(header: str) -> str:
    """What a report job keeps of the kick-off's Authorization header (who may fetch it)."""
    return hashlib.sha256(header.encode("utf-8")).hexdigest()


async def _submit(ctx: OperationContext, job_input: dict[str, Any]) -> OperationResult:
    queue, data_dir = ctx.services.get("jobs"), ctx.services.get("data_dir")
    if queue is None or data_dir is None:
        raise Unprocessable("Asynchronous reports are not available", error_codes.REPORT_TOO_LARGE)
    folder = Path(str(data_dir)) / "reports" / uuid.uuid4().hex
    await asyncio.to_thread(folder.mkdir, parents=True)
    await asyncio.to_thread((folder / "input.json").write_bytes, fhir_json.dumps(job_input))
    auth = authorization_digest(ctx.headers.get("authorization", ""))
    job = await queue.submit(KIND, {"dir": str(folder), "auth": auth})
    location = f"{ctx.base_url}/{STATUS_PATH}/{job.id}"
    # An OperationOutcome in bytes: the answer must not depend on Accept (which names the
    # report's media type, not this one's).
    note = Issue("information", "informational", f"The report is being built: poll {location}")
    body = fhir_json.dumps(operation_outcome([note]))
    return OperationResult(
        body, status=202, media_type=FHIR_JSON, headers={"Content-Location": location}
    )


def render(job_input: dict[str, Any]) -> OperationResult:
    """The report as the operation answers it, from what the kick-off read."""
    record = gather.Record(job_input["patient"], job_input["by_type"])
    start, end = (date.fromisoformat(d) for d in job_input["period"])
    report = content.build(record, gather.Period(start, end), frozenset(job_input["include"]))
    if job_input["kind"] == "hl7":
        return OperationResult(hl7.oru(report, record).encode("utf-8"), media_type=HL7_V2)
    if job_input["kind"] == "pdf":
        rendered = pdf.render(report)
        if job_input["accept_pdf"]:
            disposition = {"Content-Disposition": 'inline; filename="clinical-report.pdf"'}
            return OperationResult(rendered, media_type=PDF, headers=disposition)
        patient = report["patient"]["reference"]
        return OperationResult(document.pdf_reference(rendered, patient, report))
    attached = pdf.render(report) if job_input["attach"] else None
    return OperationResult(document.document(report, record, job_input["base_url"], attached))


def render_input(job_input: dict[str, Any]) -> tuple[bytes, str]:
    """``render`` as bytes and a media type, for a report built in the background."""
    result = render(job_input)
    if isinstance(result.body, bytes) and result.media_type is not None:
        return result.body, result.media_type
    return fhir_json.dumps(result.body), FHIR_JSON
