"""PID (and MRG) to Patient, after the v2-to-FHIR IG's PID[Patient] map.

https://build.fhir.org/ig/HL7/v2-to-fhir/ConceptMap-segment-pid-to-patient.html
"""

from __future__ import annotations

from operations.hl7v2 import datatypes as dt
from operations.hl7v2.er7 import Segment, Value
from operations.hl7v2.plan import JSON, Plan
from operations.hl7v2.problems import Hl7Problem

SSN = "http://hl7.org/fhir/sid/us-ssn"


def _identifiers(plan: Plan, reps: list[Value]) -> list[JSON]:
    found = [dt.identifier(cx, plan.sender_system("id")) for cx in reps]
    return [i for i in found if i]


def patient_identifiers(plan: Plan, pid: Segment) -> list[JSON]:
    """PID-3 (and PID-2, PID-4 of older versions): the identifiers that find the Patient."""
    listed = _identifiers(plan, pid.reps(3)) + _identifiers(plan, pid.reps(2))
    listed += _identifiers(plan, pid.reps(4))
    unique: dict[tuple[str, str], JSON] = {}
    for identifier in listed:
        unique.setdefault((identifier["system"], identifier["value"]), identifier)
    return list(unique.values())


def _deceased(pid: Segment, resource: JSON) -> None:
    died = dt.date_time(pid.get(29))
    if died:
        resource["deceasedDateTime"] = died
    elif pid.get(30).upper() in ("Y", "N"):
        resource["deceasedBoolean"] = pid.get(30).upper() == "Y"


def _demographics(pid: Segment, resource: JSON) -> None:
    names = [n for n in (dt.human_name(v) for v in pid.reps(5)) if n]
    if names:
        resource["name"] = names
    birth = dt.date(pid.get(7))
    if birth:
        resource["birthDate"] = birth
    gender = dt.gender(pid.get(8))
    if gender:
        resource["gender"] = gender
    addresses = [a for a in (dt.address(v) for v in pid.reps(11)) if a]
    if addresses:
        resource["address"] = addresses
    telecom = [t for t in (dt.contact_point(v) for v in pid.reps(13)) if t]
    work = [t for t in (dt.contact_point(v) for v in pid.reps(14)) if t]
    for contact in work:
        contact.setdefault("use", "work")
    if telecom or work:
        resource["telecom"] = telecom + work


def _language_and_status(pid: Segment, resource: JSON) -> None:
    language = dt.concept(pid.first(15))
    if language:
        if "coding" in language:
            language["coding"][0]["system"] = "urn:ietf:bcp:47"
        resource["communication"] = [{"language": language, "preferred": True}]
    marital = dt.concept(pid.first(16))
    if marital:
        resource["maritalStatus"] = marital
    _deceased(pid, resource)


def patient(plan: Plan, pid: Segment) -> str:
    """Add the Patient of ``pid`` to the plan (found by identifier); returns its reference."""
    identifiers = patient_identifiers(plan, pid)
    if not identifiers:
        raise Hl7Problem(
            "PID-3 holds no patient identifier: a patient is never matched by name",
            "PID",
            3,
            "AE",
            "101",
        )
    ssn = pid.get(19)
    if ssn:
        identifiers.append({"system": SSN, "value": ssn})
    resource: JSON = {"resourceType": "Patient", "identifier": identifiers, "active": True}
    _demographics(pid, resource)
    _language_and_status(pid, resource)
    keys = [(i["system"], i["value"]) for i in identifiers]
    return plan.patient(resource, keys)


def merge_prior(plan: Plan, mrg: Segment, survivor: str) -> list[JSON]:
    """MRG-1 (prior identifiers) of an A40 merge: the retired Patients get a ``replaced-by``
    link; their identifiers, marked old, move to the survivor (returned)."""
    prior = _identifiers(plan, mrg.reps(1))
    if not prior:
        raise Hl7Problem("MRG-1 holds no prior patient identifier", "MRG", 1, "AE", "101")
    plan.retire([(i["system"], i["value"]) for i in prior], survivor)
    return [{**i, "use": "old"} for i in prior]


def message_patient(plan: Plan) -> tuple[str, str]:
    """The Patient of the message's PID (required: AE without one), added to the plan; its
    reference and its key (the first identifier's system and value)."""
    pid = plan.message.one("PID")
    if pid is None:
        raise Hl7Problem("The message has no PID segment", "PID", 0, "AE", "100")
    subject = patient(plan, pid)
    return subject, "|".join(plan.writes[-1].identifiers[0])
