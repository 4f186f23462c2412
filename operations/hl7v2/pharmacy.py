"""Pharmacy messages: RDE (RXE) to MedicationRequest, RAS (RXA) to MedicationAdministration,
RDS (RXD) to MedicationDispense; each medication also enters the patient's active list as a
MedicationStatement, which the interaction checks read.

https://build.fhir.org/ig/HL7/v2-to-fhir/ConceptMap-segment-rxe-to-medicationrequest.html
"""

from __future__ import annotations

from operations.hl7v2 import datatypes as dt
from operations.hl7v2.adt import allergy, encounter
from operations.hl7v2.er7 import Segment, Value
from operations.hl7v2.observations import observation
from operations.hl7v2.patient import message_patient
from operations.hl7v2.plan import JSON, Plan
from operations.hl7v2.problems import Hl7Problem

_REQUEST_STATUS = {"NW": "active", "OK": "active", "SC": "active", "XO": "active",
                   "RE": "active", "CA": "cancelled", "OC": "cancelled", "CR": "cancelled",
                   "DC": "stopped", "OD": "stopped", "HD": "on-hold", "OH": "on-hold"}  # fmt: skip
_STATEMENT_STATUS = {"active": "active", "cancelled": "not-taken", "stopped": "stopped",
                     "on-hold": "on-hold"}  # fmt: skip
_ADMIN_STATUS = {"CP": "completed", "RE": "not-done", "NA": "not-done", "PA": "in-progress"}


def _medication(seg: Segment, position: int) -> JSON:
    code = dt.concept(seg.first(position))
    if code is None and seg.get(position, 2):
        code = {"text": seg.get(position, 2)}
    if code is None:
        raise Hl7Problem(f"{seg.name}-{position} medication is empty", seg.name, position,
                         "AE", "101", seg.index + 1)  # fmt: skip
    return code


def _dose(amount: str, units: Value) -> JSON | None:
    return dt.quantity(amount, units) if amount else None


def _dosage(text: str, dose: JSON | None, route: Segment | None) -> JSON | None:
    dosage: JSON = {}
    if text:
        dosage["text"] = text
    if dose:
        dosage["doseAndRate"] = [{"doseQuantity": dose}]
    if route is not None and dt.concept(route.first(1), "0162"):
        dosage["route"] = dt.concept(route.first(1), "0162")
    return dosage or None


def _order(orc: Segment | None, seg: Segment, plan: Plan) -> tuple[str, str]:
    """The order's number (ORC-3 filler, else ORC-2 placer) and status from ORC-1."""
    number = (orc.get(3) or orc.get(2)) if orc else ""
    status = _REQUEST_STATUS.get(orc.get(1).upper(), "active") if orc else "active"
    return number or f"{plan.message.control_id}-{seg.index}", status


def _statement(plan: Plan, ctx: JSON, medication: JSON, status: str, patient_key: str,
               dosage: JSON | None, source: str) -> None:  # fmt: skip
    resource: JSON = {
        "resourceType": "MedicationStatement",
        "status": _STATEMENT_STATUS.get(status, "active"),
        "medicationCodeableConcept": medication,
        "subject": ctx["subject"],
        "derivedFrom": [{"reference": source}],
    }
    if dosage:
        resource["dosage"] = [dosage]
    code = medication.get("coding", [{}])[0].get("code") or medication.get("text", "")
    plan.put("MedicationStatement", resource, patient_key, "medication", code)


def request(plan: Plan, orc: Segment | None, rxe: Segment, ctx: JSON, patient_key: str,
            route: Segment | None) -> str:  # fmt: skip
    """RXE (with its ORC and RXR) to a MedicationRequest and the MedicationStatement."""
    number, status = _order(orc, rxe, plan)
    medication = _medication(rxe, 2)
    dosage = _dosage(rxe.get(7, 2) or rxe.get(7) or rxe.get(21), _dose(rxe.get(3), rxe.first(5)),
                     route)  # fmt: skip
    resource: JSON = {
        "resourceType": "MedicationRequest",
        "identifier": [{"system": plan.sender_system("order"), "value": number}],
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": medication,
        **ctx,
    }
    authored = dt.date_time(orc.get(9)) if orc else None
    if authored:
        resource["authoredOn"] = authored
    if dosage:
        resource["dosageInstruction"] = [dosage]
    key = plan.put("MedicationRequest", resource, "order", number)
    _statement(plan, ctx, medication, status, patient_key, dosage, key)
    return key


def administration(plan: Plan, rxa: Segment, ctx: JSON, patient_key: str) -> None:
    """RXA to a MedicationAdministration."""
    medication = _medication(rxa, 5)
    start, end = dt.date_time(rxa.get(3)), dt.date_time(rxa.get(4))
    resource: JSON = {
        "resourceType": "MedicationAdministration",
        "status": _ADMIN_STATUS.get(rxa.get(20).upper(), "completed"),
        "medicationCodeableConcept": medication,
        "subject": ctx["subject"],
        "effectiveDateTime": start or dt.date_time(plan.message.msh.get(7)) or "1970-01-01",
    }
    if end and end != start:
        resource.pop("effectiveDateTime")
        resource["effectivePeriod"] = {"start": start or end, "end": end}
    dose = _dose(rxa.get(6), rxa.first(7))
    if dose:
        resource["dosage"] = {"dose": dose}
    if "encounter" in ctx:
        resource["context"] = ctx["encounter"]
    plan.put("MedicationAdministration", resource, patient_key, "rxa", rxa.get(3),
             medication.get("coding", [{}])[0].get("code", ""))  # fmt: skip


def dispense(plan: Plan, rxd: Segment, ctx: JSON, prescription: str | None) -> None:
    """RXD to a MedicationDispense."""
    medication = _medication(rxd, 2)
    resource: JSON = {
        "resourceType": "MedicationDispense",
        "status": "completed",
        "medicationCodeableConcept": medication,
        "subject": ctx["subject"],
    }
    handed = dt.date_time(rxd.get(3))
    if handed:
        resource["whenHandedOver"] = handed
    amount = _dose(rxd.get(4), rxd.first(5))
    if amount:
        resource["quantity"] = amount
    if prescription:
        resource["authorizingPrescription"] = [{"reference": prescription}]
    plan.put("MedicationDispense", resource, "rxd", rxd.get(7), rxd.get(3), str(rxd.index))


def map_pharmacy(plan: Plan) -> None:
    """RDE^O11/O25, RAS^O17, RDS^O13: the Patient, then per ORC its RXE, RXA, RXD."""
    message = plan.message
    subject, patient_key = message_patient(plan)
    ctx: JSON = {"subject": {"reference": subject}}
    pv1 = message.one("PV1")
    if pv1 is not None and (pv1.get(19) or pv1.get(44)):
        ctx["encounter"] = {"reference": encounter(plan, pv1, subject, "", message.one("PV2"))}
    for al1 in message.all("AL1"):
        allergy(plan, al1, subject, patient_key)
    orc: Segment | None = None
    prescription: str | None = None
    segments = list(message)
    for position, seg in enumerate(segments):
        if seg.name == "ORC":
            orc, prescription = seg, None
        elif seg.name == "RXE":
            nxt = segments[position + 1 : position + 8]
            route = next((s for s in nxt if s.name == "RXR"), None)
            prescription = request(plan, orc, seg, ctx, patient_key, route)
        elif seg.name == "RXA":
            administration(plan, seg, ctx, patient_key)
        elif seg.name == "RXD":
            dispense(plan, seg, ctx, prescription)
        elif seg.name == "OBX":  # results the order rests on (weight, potassium, ...)
            observation(plan, seg, ctx, f"rx-{message.control_id}", [])
    if not any(s.name in ("RXE", "RXA", "RXD") for s in segments):
        raise Hl7Problem("The message has no RXE, RXA or RXD segment", "RXE", 0, "AE", "100")
