"""Orders: ORM^O01 and OML^O21 to ServiceRequest (ORC with its OBR), a dietary order (ODS)
to NutritionOrder; the patient context every order-like message shares (PID, PV1, the
allergies and diagnoses it carries).

https://build.fhir.org/ig/HL7/v2-to-fhir/ConceptMap-segment-orc-to-servicerequest.html
https://build.fhir.org/ig/HL7/v2-to-fhir/ConceptMap-segment-obr-to-servicerequest.html
"""

from __future__ import annotations

from operations.hl7v2 import datatypes as dt
from operations.hl7v2.adt import allergy, condition, coverage, encounter, related_person
from operations.hl7v2.er7 import Segment, Value
from operations.hl7v2.observations import observation
from operations.hl7v2.patient import message_patient
from operations.hl7v2.plan import JSON, Plan
from operations.hl7v2.problems import Hl7Problem

# ORC-5 order status (table 0038), else ORC-1 order control (table 0119)
_ORDER_STATUS = {
    "A": "active",
    "CM": "completed",
    "IP": "active",
    "SC": "active",
    "CA": "revoked",
    "DC": "revoked",
    "HD": "on-hold",
    "ER": "entered-in-error",
}
_CONTROL_STATUS = {"NW": "active", "OK": "active", "SC": "active", "XO": "active",
                   "RP": "active", "RO": "active", "CA": "revoked", "OC": "revoked",
                   "CR": "revoked", "DC": "revoked", "OD": "revoked", "DR": "revoked",
                   "HD": "on-hold", "OH": "on-hold", "RL": "active", "SN": "draft"}  # fmt: skip
_PRIORITY = {"S": "stat", "A": "asap", "R": "routine", "P": "routine", "T": "urgent"}
_ID_TYPE = dt.V2_TABLE + "0203"


def person(xcn: Value) -> str:
    """An XCN as a display name (given family), else its id."""
    name = " ".join(p for p in (xcn[3].text, xcn[2].text) if p)
    return name or xcn[1].text


def patient_context(plan: Plan) -> tuple[JSON, str]:
    """The Patient (PID, required), the Encounter (PV1), and the allergies (AL1/IAM),
    diagnoses (DG1), next of kin (NK1) and insurance (IN1) the message carries; returns
    the ``subject``/``encounter`` context and the patient's key. Allergies sent with an
    order are kept: the safety checks read them."""
    message = plan.message
    subject, patient_key = message_patient(plan)
    ctx: JSON = {"subject": {"reference": subject}}
    pv1 = message.one("PV1")
    if pv1 is not None and (pv1.get(2) or pv1.get(19) or pv1.get(44)):
        visit = encounter(plan, pv1, subject, "", message.one("PV2"))
        ctx["encounter"] = {"reference": visit}
    for seg in message.all("AL1") + message.all("IAM"):
        allergy(plan, seg, subject, patient_key)
    for dg1 in message.all("DG1"):
        condition(plan, dg1, subject, patient_key)
    for nk1 in message.all("NK1"):
        related_person(plan, nk1, subject, patient_key)
    for in1 in message.all("IN1"):
        coverage(plan, in1, subject, patient_key)
    return ctx, patient_key


def order_identifiers(plan: Plan, orc: Segment | None, other: Segment | None) -> list[JSON]:
    """Placer (ORC-2, else OBR-2/RXA's ORC) and filler (ORC-3, else OBR-3) numbers."""
    found: list[JSON] = []
    for position, code in ((2, "PLAC"), (3, "FILL")):
        value = (orc.get(position) if orc else "") or (other.get(position) if other else "")
        if value:
            found.append({"type": {"coding": [{"system": _ID_TYPE, "code": code}]},
                          "system": plan.sender_system("order"), "value": value})  # fmt: skip
    return found


def order_status(orc: Segment | None) -> str:
    """ServiceRequest.status from ORC-5, else ORC-1; active when neither says."""
    if orc is None:
        return "active"
    return _ORDER_STATUS.get(orc.get(5).upper()) or _CONTROL_STATUS.get(
        orc.get(1).upper(), "active"
    )


def _service_request(
    plan: Plan, orc: Segment | None, obr: Segment | None, notes: list[str], ctx: JSON
) -> str:
    source = obr or orc
    identifiers = order_identifiers(plan, orc, obr)
    resource: JSON = {"resourceType": "ServiceRequest", "status": order_status(orc),
                      "intent": "order", **ctx}  # fmt: skip
    if identifiers:
        resource["identifier"] = identifiers
    code = dt.concept(obr.first(4)) if obr else None
    if code:
        resource["code"] = code
    priority = _PRIORITY.get((obr.get(5) if obr else "") or (orc.get(7, 6) if orc else ""))
    if priority:
        resource["priority"] = priority
    authored = dt.date_time(orc.get(9)) if orc else None
    if authored:
        resource["authoredOn"] = authored
    requester = orc.first(12) if orc and (orc.raw(12) or obr is None) else _first(obr, 16)
    if requester and person(requester):
        resource["requester"] = {"display": person(requester)}
    reason = dt.concept(obr.first(31)) if obr else None
    if reason:
        resource["reasonCode"] = [reason]
    if notes:
        resource["note"] = [{"text": n} for n in notes]
    index = source.index if source else 0
    number = identifiers[-1]["value"] if identifiers else f"{plan.message.control_id}-{index}"
    code_text = (code or {}).get("coding", [{}])[0].get("code", "")
    return plan.put("ServiceRequest", resource, "order", number, code_text)


def _nutrition_order(plan: Plan, orc: Segment | None, ods: list[Segment], ctx: JSON) -> None:
    """Dietary orders (ODS-1 D: diet, P: preference; ODS-3 the diet codes) as one
    NutritionOrder: its oral diet types, and the preferences as its text."""
    diets = [c for seg in ods if seg.get(1).upper() != "P"
             for rep in seg.reps(3) if (c := dt.concept(rep))]  # fmt: skip
    preferences = [seg.get(4) or seg.get(3, 2) for seg in ods if seg.get(1).upper() == "P"]
    status = {"revoked": "revoked", "on-hold": "on-hold", "completed": "completed"}.get(
        order_status(orc), "active")  # fmt: skip
    resource: JSON = {"resourceType": "NutritionOrder", "status": status, "intent": "order",
                      "patient": ctx["subject"],
                      "dateTime": (dt.date_time(orc.get(9)) if orc else None)
                      or dt.date_time(plan.message.msh.get(7)) or "1970-01-01"}  # fmt: skip
    if "encounter" in ctx:
        resource["encounter"] = ctx["encounter"]
    identifiers = order_identifiers(plan, orc, None)
    if identifiers:
        resource["identifier"] = identifiers
    oral: JSON = {"type": diets} if diets else {}
    if preferences or not diets:
        oral["instruction"] = "; ".join(p for p in preferences if p) or "diet order"
    resource["oralDiet"] = oral
    number = identifiers[-1]["value"] if identifiers else plan.message.control_id
    plan.put("NutritionOrder", resource, "diet", number)


def _first(seg: Segment | None, position: int) -> Value | None:
    return seg.first(position) if seg else None


def _groups(segments: list[Segment]) -> list[tuple[Segment | None, list[Segment]]]:
    """Each ORC with the segments up to the next ORC; an OBR before any ORC (OML allows
    none in some profiles) starts an order of its own."""
    groups: list[tuple[Segment | None, list[Segment]]] = []
    for seg in segments:
        if seg.name == "ORC":
            groups.append((seg, []))
        elif groups:
            groups[-1][1].append(seg)
        elif seg.name == "OBR":
            groups.append((None, [seg]))
    return groups


def _order(
    plan: Plan, orc: Segment | None, group: list[Segment], ctx: JSON, results: bool
) -> list[str]:
    ods = [s for s in group if s.name == "ODS"]
    if ods:
        _nutrition_order(plan, orc, ods, ctx)
        return []
    obrs = [i for i, s in enumerate(group) if s.name == "OBR"]
    if not obrs:
        return [_service_request(plan, orc, None, [], ctx)]
    order = (orc.get(2) if orc else "") or plan.message.control_id
    keys: list[str] = []
    for start, end in zip(obrs, [*obrs[1:], len(group)], strict=True):
        body = group[start + 1 : end]
        notes = [s.get(3) for s in body if s.name == "NTE" and s.get(3)]
        keys.append(_service_request(plan, orc, group[start], notes, ctx))
        for obx in (s for s in body if s.name == "OBX" and results):
            observation(plan, obx, ctx, f"order-{order}", [])
    return keys


def order_requests(plan: Plan, ctx: JSON, results: bool = True) -> list[str]:
    """Per ORC a ServiceRequest for each OBR (or for the ORC alone), or a NutritionOrder
    for its ODS segments; ``results``: the OBX after an OBR become Observations. Returns
    the ServiceRequests' placeholders."""
    return [
        key
        for orc, group in _groups(list(plan.message))
        for key in _order(plan, orc, group, ctx, results)
    ]


def map_order(plan: Plan) -> None:
    """ORM^O01, OML^O21: the patient context, then the orders."""
    ctx, _ = patient_context(plan)
    if not any(seg.name in ("ORC", "OBR") for seg in plan.message):
        raise Hl7Problem("The message has no ORC or OBR segment", "ORC", 0, "AE", "100")
    for obx in _before_orders(list(plan.message)):  # the patient's, not an order's
        observation(plan, obx, ctx, f"orm-{plan.message.control_id}", [], "vital-signs")
    order_requests(plan, ctx)


def _before_orders(segments: list[Segment]) -> list[Segment]:
    found: list[Segment] = []
    for seg in segments:
        if seg.name in ("ORC", "OBR"):
            break
        if seg.name == "OBX":
            found.append(seg)
    return found
