"""ORU^R01 to DiagnosticReport (OBR) and one Observation per OBX, NTE as notes.

https://build.fhir.org/ig/HL7/v2-to-fhir/ConceptMap-segment-obx-to-observation.html
"""

from __future__ import annotations

from operations.hl7v2 import datatypes as dt
from operations.hl7v2.adt import encounter
from operations.hl7v2.er7 import Segment
from operations.hl7v2.observations import observation
from operations.hl7v2.patient import patient
from operations.hl7v2.plan import JSON, Plan
from operations.hl7v2.problems import Hl7Problem

_OBR_STATUS = {"F": "final", "P": "preliminary", "C": "corrected", "X": "cancelled",
               "R": "partial", "I": "registered", "O": "registered", "S": "partial",
               "A": "partial"}  # fmt: skip


def _groups(segments: list[Segment]) -> list[tuple[Segment, list[Segment]]]:
    """Each OBR with the OBX/NTE segments that follow it."""
    groups: list[tuple[Segment, list[Segment]]] = []
    for seg in segments:
        if seg.name == "OBR":
            groups.append((seg, []))
        elif groups and seg.name in ("OBX", "NTE"):
            groups[-1][1].append(seg)
    return groups


def _report(plan: Plan, obr: Segment, body: list[Segment], subject: str, enc: str | None) -> None:
    order = obr.get(3) or obr.get(2) or f"{plan.message.control_id}-{obr.index}"
    context: JSON = {"subject": {"reference": subject}}
    if enc:
        context["encounter"] = {"reference": enc}
    when = dt.date_time(obr.get(7))
    if when:
        context["effectiveDateTime"] = when
    results: list[str] = []
    report_notes: list[str] = []
    pending: tuple[Segment, list[str]] | None = None
    for seg in [*body, None]:
        if seg is not None and seg.name == "NTE":
            if seg.get(3):
                (pending[1] if pending else report_notes).append(seg.get(3))
            continue
        if pending:
            results.append(observation(plan, pending[0], context, order, pending[1]))
        pending = (seg, []) if seg is not None else None
    code = dt.concept(obr.first(4)) or {"text": "laboratory report"}
    resource: JSON = {
        "resourceType": "DiagnosticReport",
        "identifier": [{"system": plan.sender_system("order"), "value": order}],
        "status": _OBR_STATUS.get(obr.get(25).upper(), "final"),
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v2-0074",
                        "code": obr.get(24) or "LAB",
                    }
                ]
            }
        ],
        "code": code,
        **context,
        "result": [{"reference": r} for r in results],
    }
    issued = dt.date_time(obr.get(22))
    if issued and "T" in issued:
        resource["issued"] = issued
    if report_notes:
        resource["conclusion"] = "\n".join(report_notes)
    plan.put("DiagnosticReport", resource, "obr", order)


def map_oru(plan: Plan) -> None:
    """ORU^R01: the Patient (created from PID when unknown), the visit, every report."""
    message = plan.message
    pid = message.one("PID")
    if pid is None:
        raise Hl7Problem("The message has no PID segment", "PID", 0, "AE", "100")
    subject = patient(plan, pid)
    pv1 = message.one("PV1")
    enc = None
    if pv1 is not None and (pv1.get(19) or pv1.get(44)):
        enc = encounter(plan, pv1, subject, message.trigger, message.one("PV2"))
    groups = _groups(list(message))
    if not groups:
        raise Hl7Problem("The message has no OBR segment", "OBR", 0, "AE", "100")
    for obr, body in groups:
        _report(plan, obr, body, subject, enc)
