"""ORU^R01 to DiagnosticReport (OBR) and one Observation per OBX, NTE as notes.

https://build.fhir.org/ig/HL7/v2-to-fhir/ConceptMap-segment-obx-to-observation.html
"""

from __future__ import annotations

import re

from operations.hl7v2 import datatypes as dt
from operations.hl7v2.adt import encounter
from operations.hl7v2.er7 import Segment, unescape
from operations.hl7v2.patient import patient
from operations.hl7v2.plan import JSON, Plan
from operations.hl7v2.problems import Hl7Problem

INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_OBX_STATUS = {"F": "final", "P": "preliminary", "C": "corrected", "D": "entered-in-error",
               "W": "entered-in-error", "X": "cancelled", "R": "preliminary", "I": "registered",
               "S": "preliminary", "A": "amended"}  # fmt: skip
_OBR_STATUS = {"F": "final", "P": "preliminary", "C": "corrected", "X": "cancelled",
               "R": "partial", "I": "registered", "O": "registered", "S": "partial",
               "A": "partial"}  # fmt: skip
_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$")
_BOUND = re.compile(r"^\s*([<>]=?)\s*(-?\d+(?:\.\d+)?)\s*$")
_NUMERIC = ("NM", "SN")


def _limit(number: str, unit: JSON | None) -> JSON:
    value = float(number)
    limit: JSON = {"value": int(value) if value.is_integer() and "." not in number else value}
    for key in ("unit", "system", "code"):
        if unit and key in unit:
            limit[key] = unit[key]
    return limit


def reference_range(text: str, unit: JSON | None) -> JSON | None:
    """OBX-7 (``3.5-5.0``, ``<10``, ``>=60``) to a referenceRange, the text always kept."""
    if not text:
        return None
    result: JSON = {"text": text}
    match = _RANGE.match(text)
    bound = _BOUND.match(text)
    if match:
        result["low"] = _limit(match.group(1), unit)
        result["high"] = _limit(match.group(2), unit)
    elif bound:
        side = "high" if bound.group(1).startswith("<") else "low"
        result[side] = _limit(bound.group(2), unit)
    return result


def _value(obx: Segment, resource: JSON) -> None:
    kind = obx.get(2).upper()
    values = obx.reps(5)
    if not values:
        return
    first = values[0]
    if kind in _NUMERIC:
        number = first.text if kind == "NM" else first[2].text
        comparator = first[1].text if kind == "SN" else ""
        found = dt.quantity(number, obx.first(6))
        if found is not None:
            if comparator in ("<", "<=", ">", ">="):
                found["comparator"] = comparator
            resource["valueQuantity"] = found
            return
    if kind in ("CE", "CWE", "CNE", "CF"):
        concept = dt.concept(first)
        if concept:
            resource["valueCodeableConcept"] = concept
            return
    if kind in ("DT", "TS", "DTM"):
        when = dt.date_time(first.text)
        if when:
            resource["valueDateTime"] = when
            return
    # ST, TX, FT and anything unreadable: the text, so no result is silently lost
    resource["valueString"] = "\n".join(unescape(v.raw, v.enc) for v in values)


def _interpretation(obx: Segment) -> list[JSON]:
    flags = [v.text for v in obx.reps(8) if v.text]
    return [{"coding": [{"system": INTERPRETATION, "code": flag}]} for flag in flags]


def observation(plan: Plan, obx: Segment, context: JSON, order: str, notes: list[str]) -> str:
    """One OBX to an Observation (keyed by the order, code and sub-id, so a correction
    updates it)."""
    code = dt.concept(obx.first(3))
    if code is None:
        raise Hl7Problem("OBX-3 observation identifier is empty", "OBX", 3, "AE", "101",
                         obx.index + 1)  # fmt: skip
    resource: JSON = {
        "resourceType": "Observation",
        "status": _OBX_STATUS.get(obx.get(11).upper(), "final"),
        "category": [{"coding": [{"system": CATEGORY, "code": "laboratory"}]}],
        "code": code,
        **context,
    }
    _value(obx, resource)
    unit = resource.get("valueQuantity")
    ranged = reference_range(obx.get(7), unit)
    if ranged:
        resource["referenceRange"] = [ranged]
    interpretation = _interpretation(obx)
    if interpretation:
        resource["interpretation"] = interpretation
    effective = dt.date_time(obx.get(14))
    if effective:
        resource["effectiveDateTime"] = effective
    performer = obx.get(16, 2) or obx.get(23)
    if performer:
        resource["performer"] = [{"display": performer}]
    if notes:
        resource["note"] = [{"text": n} for n in notes]
    code_text = code.get("coding", [{}])[0].get("code") or code.get("text", "")
    return plan.put("Observation", resource, "obx", order, code_text, obx.get(4), obx.get(1))


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
