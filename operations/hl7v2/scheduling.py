"""SIU (S12-S26) to Appointment: SCH for the appointment, AIS for the service, AIL, AIP
and AIG for the location and people taking part.

https://build.fhir.org/ig/HL7/v2-to-fhir/ConceptMap-segment-sch-to-appointment.html
https://build.fhir.org/ig/HL7/v2-to-fhir/ConceptMap-segment-ais-to-appointment.html
"""

from __future__ import annotations

from datetime import datetime, timedelta

from operations.hl7v2 import datatypes as dt
from operations.hl7v2.er7 import Segment
from operations.hl7v2.observations import observation
from operations.hl7v2.orders import patient_context, person
from operations.hl7v2.plan import JSON, Plan
from operations.hl7v2.problems import Hl7Problem

# SCH-25 filler status (table 0278), else the trigger event
_FILLER_STATUS = {"PENDING": "pending", "WAITLIST": "waitlist", "BOOKED": "booked",
                  "STARTED": "arrived", "COMPLETE": "fulfilled", "CANCELLED": "cancelled",
                  "DC": "cancelled", "DELETED": "entered-in-error", "OVERBOOK": "booked",
                  "NOSHOW": "noshow"}  # fmt: skip
_TRIGGER_STATUS = {"S15": "cancelled", "S16": "cancelled", "S17": "entered-in-error",
                   "S26": "noshow", "S25": "booked"}  # fmt: skip
_UNDATED = frozenset({"proposed", "cancelled", "waitlist"})
"""The statuses an Appointment may have without a start and end (invariant app-3)."""
_MINUTES = {"S": 1 / 60, "M": 1, "MIN": 1, "H": 60, "HR": 60, "D": 1440}


def _instant(raw: str) -> str | None:
    value = dt.date_time(raw)
    return value if value and "T" in value else None


_LONGEST = 366 * 24 * 60
"""Minutes: a duration beyond a year is no appointment's (and beyond dates' range)."""


def _minutes(amount: str, unit: str) -> int | None:
    factor = _MINUTES.get(unit.upper() or "M")
    value = dt.number(amount)
    minutes = round(value * factor) if factor and value is not None else None
    return minutes if minutes and 0 < minutes <= _LONGEST else None


def _timing(sch: Segment, tq1: Segment | None, ais: Segment | None, resource: JSON) -> None:
    """Start from TQ1-7, else AIS-4, else SCH-11.4 (withdrawn after 2.6, still sent); end
    from TQ1-8, else SCH-11.5, else start plus the duration (AIS-7/8, else SCH-9/10)."""
    start = (
        (_instant(tq1.get(7)) if tq1 else None)
        or (_instant(ais.get(4)) if ais else None)
        or _instant(sch.get(11, 4))
    )
    minutes = (_minutes(ais.get(7), ais.get(8)) if ais else None) or _minutes(
        sch.get(9), sch.get(10)
    )
    end = (_instant(tq1.get(8)) if tq1 else None) or _instant(sch.get(11, 5))
    if start and end and datetime.fromisoformat(end) < datetime.fromisoformat(start):
        end = None  # an end before the start (a date-only range, say) says nothing
    if start and not end and minutes:
        end = (datetime.fromisoformat(start) + timedelta(minutes=minutes)).isoformat()
    if start and end:
        resource["start"], resource["end"] = start, end
    if minutes:
        resource["minutesDuration"] = minutes


def _participants(plan: Plan, subject: JSON) -> list[JSON]:
    people: list[JSON] = [{"actor": subject, "status": "accepted"}]
    for seg in plan.message.all("AIL"):
        where = seg.get(3, 9) or seg.get(3, 1) or seg.get(4, 2)
        if where:
            people.append({"actor": {"display": where}, "status": "accepted"})
    for seg in plan.message.all("AIP"):
        if person(seg.first(3)):
            people.append({"actor": {"display": person(seg.first(3))}, "status": "accepted"})
    for seg in plan.message.all("AIG"):
        if seg.get(3, 2) or seg.get(3):
            people.append({"actor": {"display": seg.get(3, 2) or seg.get(3)},
                           "status": "accepted"})  # fmt: skip
    return people


def _identifiers(plan: Plan, sch: Segment) -> list[JSON]:
    """SCH-1 placer and SCH-2 filler appointment ids."""
    found: list[JSON] = []
    for position, code in ((1, "PLAC"), (2, "FILL")):
        if sch.get(position):
            found.append({"type": {"coding": [{"system": dt.V2_TABLE + "0203", "code": code}]},
                          "system": plan.sender_system("appointment"),
                          "value": sch.get(position)})  # fmt: skip
    return found


def map_siu(plan: Plan) -> None:
    """SIU: the patient context, then the Appointment of SCH."""
    ctx, _ = patient_context(plan)
    message = plan.message
    sch = message.one("SCH")
    if sch is None:
        raise Hl7Problem("The message has no SCH segment", "SCH", 0, "AE", "100")
    status = _FILLER_STATUS.get(sch.get(25).upper().replace(" ", "")) or _TRIGGER_STATUS.get(
        message.trigger, "booked"
    )
    resource: JSON = {"resourceType": "Appointment", "status": status,
                      "participant": _participants(plan, ctx["subject"])}  # fmt: skip
    identifiers = _identifiers(plan, sch)
    if identifiers:
        resource["identifier"] = identifiers
    ais = message.one("AIS")
    service = dt.concept(ais.first(3)) if ais else None
    if service:
        resource["serviceType"] = [service]
    kind = dt.concept(sch.first(7), "0276")  # the reason (table 0276) is FHIR's type
    if kind:
        resource["appointmentType"] = kind
    _timing(sch, message.one("TQ1"), ais, resource)
    if "start" not in resource and status not in _UNDATED:
        raise Hl7Problem("The appointment has no start time (SCH-11, AIS-4)", "SCH", 11,
                         "AE", "101", sch.index + 1)  # fmt: skip
    notes = [seg.get(3) for seg in message.all("NTE") if seg.get(3)]
    if notes:
        resource["comment"] = " ".join(notes)
    number = identifiers[-1]["value"] if identifiers else message.control_id
    plan.put("Appointment", resource, "appointment", number)
    for obx in message.all("OBX"):  # the patient's observations sent with the booking
        observation(plan, obx, ctx, f"siu-{number}", [], "vital-signs")
