"""ADT (and BAR/DFT, which carry the same segments) to Patient, RelatedPerson, Encounter,
AllergyIntolerance, Condition and Coverage.

https://build.fhir.org/ig/HL7/v2-to-fhir/segment_maps.html
"""

from __future__ import annotations

from operations.hl7v2 import datatypes as dt
from operations.hl7v2.er7 import Segment
from operations.hl7v2.observations import observation
from operations.hl7v2.patient import merge_prior, patient
from operations.hl7v2.plan import JSON, Plan
from operations.hl7v2.problems import Hl7Problem

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_CLASS = {
    "E": ("EMER", "emergency"), "I": ("IMP", "inpatient encounter"),
    "O": ("AMB", "ambulatory"), "P": ("PRENC", "pre-admission"), "R": ("AMB", "ambulatory"),
    "B": ("IMP", "inpatient encounter"), "N": ("AMB", "ambulatory"),
    "C": ("AMB", "ambulatory"), "U": ("AMB", "ambulatory"),
}  # fmt: skip
_STATUS = {"A03": "finished", "A05": "planned", "A11": "cancelled", "A14": "planned",
           "A27": "cancelled", "A38": "cancelled"}  # fmt: skip
_CATEGORY = {"DA": "medication", "MA": "medication", "FA": "food", "EA": "environment",
             "AA": "environment", "PA": "environment", "LA": "environment"}  # fmt: skip
_SEVERITY = {"SV": ("high", "severe"), "MO": ("low", "moderate"), "MI": ("low", "mild")}
CLINICAL = "http://terminology.hl7.org/CodeSystem/"


def encounter(plan: Plan, pv1: Segment, subject: str, trigger: str, pv2: Segment | None) -> str:
    """PV1/PV2 to an Encounter, keyed by the visit number (PV1-19) when there is one."""
    code, display = _CLASS.get(pv1.get(2).upper(), ("AMB", "ambulatory"))
    start, end = dt.date_time(pv1.get(44)), dt.date_time(pv1.get(45))
    if trigger == "A13":  # cancel discharge: the visit goes on, whatever PV1-45 still says
        end = None
    status = _STATUS.get(trigger) or ("finished" if end else "in-progress")
    resource: JSON = {
        "resourceType": "Encounter",
        "status": status,
        "class": {"system": ACT_CODE, "code": code, "display": display},
        "subject": {"reference": subject},
    }
    visit = dt.identifier(pv1.first(19), plan.sender_system("visit"))
    if visit:
        resource["identifier"] = [visit]
    if start or end:
        resource["period"] = {k: v for k, v in (("start", start), ("end", end)) if v}
    admission = dt.concept(pv1.first(4), "0007")
    if admission:
        resource["type"] = [admission]
    service = dt.concept(pv1.first(10), "0069")
    if service:
        resource["serviceType"] = service
    location = pv1.first(3)
    names = [p for p in (location[1].text, location[2].text, location[3].text) if p]
    if names:
        resource["location"] = [{"location": {"display": " ".join(names)}}]
    reason = dt.concept(pv2.first(3)) if pv2 else None
    if reason:
        resource["reasonCode"] = [reason]
    # no visit number: the patient's identifier and the admission time name the visit
    key = visit["value"] if visit else f"{plan.patient_key()}|{pv1.get(44)}"
    return plan.put("Encounter", resource, "visit", key)


def related_person(plan: Plan, nk1: Segment, subject: str, patient_key: str) -> None:
    """NK1 to a RelatedPerson; contact roles (NK1-7, emergency contact ``C``) are kept."""
    resource: JSON = {"resourceType": "RelatedPerson", "patient": {"reference": subject}}
    names = [n for n in (dt.human_name(v) for v in nk1.reps(2)) if n]
    if names:
        resource["name"] = names
    relations = [c for c in (dt.concept(nk1.first(3), "0063"), dt.concept(nk1.first(7), "0131"))]
    if any(relations):
        resource["relationship"] = [c for c in relations if c]
    addresses = [a for a in (dt.address(v) for v in nk1.reps(4)) if a]
    if addresses:
        resource["address"] = addresses
    phones = [t for t in (dt.contact_point(v) for v in nk1.reps(5) + nk1.reps(6)) if t]
    if phones:
        resource["telecom"] = phones
    name = names[0].get("family", "") if names else ""
    plan.put("RelatedPerson", resource, patient_key, "nk1", nk1.get(1), name)


def allergy(plan: Plan, seg: Segment, subject: str, patient_key: str) -> None:
    """AL1 or IAM to an AllergyIntolerance. An allergen we cannot read is an error, not a
    skipped segment: a missed allergy is the worst outcome this feed can have."""
    code = dt.concept(seg.first(3))
    if code is None and seg.get(3, 2):
        code = {"text": seg.get(3, 2)}
    if code is None:
        raise Hl7Problem(f"{seg.name}-3 allergen is empty", seg.name, 3, "AE", "101")
    resource: JSON = {
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": {
            "coding": [{"system": CLINICAL + "allergyintolerance-clinical", "code": "active"}]
        },
        "code": code,
        "patient": {"reference": subject},
    }
    kind = seg.get(2).upper()
    if kind in _CATEGORY:
        resource["category"] = [_CATEGORY[kind]]
    resource["type"] = "intolerance" if kind in ("DI", "FI", "MI") else "allergy"
    criticality, severity = _SEVERITY.get(seg.get(4).upper(), (None, None))
    if criticality:
        resource["criticality"] = criticality
    reactions = [{"text": t} for t in (r[1].text or r.text for r in seg.reps(5)) if t]
    if reactions:
        reaction: JSON = {"manifestation": reactions}
        if severity:
            reaction["severity"] = severity
        resource["reaction"] = [reaction]
    if seg.name == "IAM" and seg.get(6).upper() == "D":
        resource["clinicalStatus"]["coding"][0]["code"] = "resolved"
    onset = dt.date_time(seg.get(6) if seg.name == "AL1" else seg.get(11))
    if onset:
        resource["onsetDateTime"] = onset
    allergen = code.get("coding", [{}])[0].get("code") or code.get("text", "")
    plan.put("AllergyIntolerance", resource, patient_key, "allergen", allergen)


def condition(plan: Plan, dg1: Segment, subject: str, patient_key: str) -> None:
    """DG1 to a Condition (encounter diagnosis; ICD-10 as coded in DG1-3)."""
    code = dt.concept(dg1.first(3))
    if code is None and dg1.get(4):
        code = {"text": dg1.get(4)}
    if code is None:
        raise Hl7Problem("DG1-3 diagnosis code is empty", "DG1", 3, "AE", "101")
    resource: JSON = {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [{"system": CLINICAL + "condition-clinical", "code": "active"}]
        },
        "category": [
            {"coding": [{"system": CLINICAL + "condition-category", "code": "encounter-diagnosis"}]}
        ],
        "code": code,
        "subject": {"reference": subject},
    }
    onset = dt.date_time(dg1.get(5))
    if onset:
        resource["onsetDateTime"] = onset
    key = code.get("coding", [{}])[0].get("code") or code.get("text", "")
    plan.put("Condition", resource, patient_key, "diagnosis", key)


def coverage(plan: Plan, in1: Segment, subject: str, patient_key: str) -> None:
    """IN1 to a Coverage: payor (IN1-4 company name), plan (IN1-2), policy (IN1-36)."""
    payor = in1.get(4) or in1.get(3) or "unknown payor"
    resource: JSON = {
        "resourceType": "Coverage",
        "status": "active",
        "beneficiary": {"reference": subject},
        "payor": [{"display": payor}],
    }
    policy = in1.get(36)
    if policy:
        resource["subscriberId"] = policy
    plan_code = dt.concept(in1.first(2))
    if plan_code:
        resource["type"] = plan_code
    plan.put("Coverage", resource, patient_key, "coverage", in1.get(3), policy)


def map_adt(plan: Plan) -> None:
    """Every segment of an ADT message that we map, in dependency order."""
    message = plan.message
    pid = message.one("PID")
    if pid is None:
        raise Hl7Problem("The message has no PID segment", "PID", 0, "AE", "100")
    subject = patient(plan, pid)
    patient_write = plan.writes[-1]
    patient_key = "|".join(patient_write.identifiers[0])
    mrg = message.one("MRG")
    if mrg is not None and message.trigger in ("A40", "A34", "A36", "A39", "A18"):
        patient_write.resource["identifier"] += merge_prior(plan, mrg, subject)
    pv1 = message.one("PV1")
    context: JSON = {"subject": {"reference": subject}}
    if pv1 is not None and (pv1.get(2) or pv1.get(19) or pv1.get(44)):
        visit = encounter(plan, pv1, subject, message.trigger, message.one("PV2"))
        context["encounter"] = {"reference": visit}
    for obx in message.all("OBX"):  # ADT observations: height, weight, vital signs
        observation(plan, obx, context, f"adt-{message.control_id}", [], "vital-signs")
    for nk1 in message.all("NK1"):
        related_person(plan, nk1, subject, patient_key)
    for seg in message.all("AL1") + message.all("IAM"):
        allergy(plan, seg, subject, patient_key)
    for dg1 in message.all("DG1"):
        condition(plan, dg1, subject, patient_key)
    for in1 in message.all("IN1"):
        coverage(plan, in1, subject, patient_key)
