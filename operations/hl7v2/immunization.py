"""VXU^V04 to Immunization: one per RXA (with its ORC, RXR and OBX segments).

https://build.fhir.org/ig/HL7/v2-to-fhir/ConceptMap-segment-rxa-to-immunization.html
https://build.fhir.org/ig/HL7/v2-to-fhir/ConceptMap-segment-rxr-to-immunization.html
The OBX segments that the IG maps into the Immunization (VIS documents, funding and
eligibility, by LOINC code) go there; any other OBX becomes an Observation.
"""

from __future__ import annotations

from operations.hl7v2 import datatypes as dt
from operations.hl7v2.er7 import Segment
from operations.hl7v2.observations import observation
from operations.hl7v2.orders import order_identifiers, patient_context, person
from operations.hl7v2.plan import JSON, Plan
from operations.hl7v2.problems import Hl7Problem

_STATUS = {"CP": "completed", "PA": "completed", "RE": "not-done", "NA": "not-done"}
_PERFORMER = dt.V2_TABLE + "0443"
_UNKNOWN_DOSE = "999"
_FUNDING, _ELIGIBILITY = "30963-3", "64994-7"
_VIS_TYPE, _VIS_PUBLISHED, _VIS_PRESENTED = "69764-9", "29768-9", "29769-7"


def _education(obx: list[Segment]) -> list[JSON]:
    """VIS documents: OBX-4 (sub-id) groups a document type with its dates."""
    by_group: dict[str, JSON] = {}
    for seg in obx:
        code, group = seg.get(3), seg.get(4) or "1"
        entry = by_group.setdefault(group, {})
        if code == _VIS_TYPE:
            entry["documentType"] = seg.get(5, 2) or seg.get(5)
        elif code in (_VIS_PUBLISHED, _VIS_PRESENTED):
            when = dt.date_time(seg.get(5))
            if when:
                key = "publicationDate" if code == _VIS_PUBLISHED else "presentationDate"
                entry[key] = when
    return [e for e in by_group.values() if e]


def _observations(resource: JSON, obx: list[Segment]) -> list[Segment]:
    """Put the IG's OBX codes into the Immunization; return the other OBX segments."""
    rest: list[Segment] = []
    for seg in obx:
        code, value = seg.get(3), dt.concept(seg.first(5))
        if code == _FUNDING and value:
            resource["fundingSource"] = value
        elif code == _ELIGIBILITY and value:
            resource.setdefault("programEligibility", []).append(value)
        elif code not in (_VIS_TYPE, _VIS_PUBLISHED, _VIS_PRESENTED):
            rest.append(seg)
    education = _education(obx)
    if education:
        resource["education"] = education
    return rest


def _details(rxa: Segment, rxr: Segment | None, resource: JSON) -> None:
    amount = rxa.get(6)
    dose = dt.quantity(amount, rxa.first(7)) if amount and amount != _UNKNOWN_DOSE else None
    if dose:
        resource["doseQuantity"] = dose
    for field, key in ((15, "lotNumber"), (16, "expirationDate")):
        value = rxa.get(field) if field == 15 else dt.date(rxa.get(field))
        if value:
            resource[key] = value
    if rxa.get(17, 2) or rxa.get(17):
        resource["manufacturer"] = {"display": rxa.get(17, 2) or rxa.get(17)}
    if rxa.raw(10) and person(rxa.first(10)):
        role = {"coding": [{"system": _PERFORMER, "code": "AP"}]}
        resource["performer"] = [{"function": role, "actor": {"display": person(rxa.first(10))}}]
    reason = dt.concept(rxa.first(18))
    if reason and resource["status"] == "not-done":
        resource["statusReason"] = reason
    if rxr is not None:
        route, site = dt.concept(rxr.first(1), "0162"), dt.concept(rxr.first(2), "0163")
        if route:
            resource["route"] = route
        if site:
            resource["site"] = site


def immunization(plan: Plan, orc: Segment | None, rxa: Segment, after: list[Segment],
                 ctx: JSON) -> str:  # fmt: skip
    """One RXA (and the RXR and OBX after it) to an Immunization."""
    vaccine = dt.concept(rxa.first(5))
    if vaccine is None:
        raise Hl7Problem("RXA-5 administered code is empty", "RXA", 5, "AE", "101",
                         rxa.index + 1)  # fmt: skip
    status = "entered-in-error" if rxa.get(21).upper() == "D" else _STATUS.get(
        rxa.get(20).upper(), "completed")  # fmt: skip
    given = dt.date_time(rxa.get(3))
    if given is None:
        raise Hl7Problem("RXA-3 administration date is empty", "RXA", 3, "AE", "101",
                         rxa.index + 1)  # fmt: skip
    historical = rxa.get(9) not in ("", "00")
    resource: JSON = {"resourceType": "Immunization", "status": status, "vaccineCode": vaccine,
                      "patient": ctx["subject"], "occurrenceDateTime": given,
                      "primarySource": not historical}  # fmt: skip
    if historical and dt.concept(rxa.first(9), "NIP001"):
        resource["reportOrigin"] = dt.concept(rxa.first(9), "NIP001")
    if "encounter" in ctx:
        resource["encounter"] = ctx["encounter"]
    if rxa.get(20).upper() == "PA":
        resource["isSubpotent"] = True
    identifiers = order_identifiers(plan, orc, None)
    if identifiers:
        resource["identifier"] = identifiers
    recorded = dt.date_time(rxa.get(22))
    if recorded:
        resource["recorded"] = recorded
    _details(rxa, next((s for s in after if s.name == "RXR"), None), resource)
    rest = _observations(resource, [s for s in after if s.name == "OBX"])
    code = vaccine.get("coding", [{}])[0].get("code", "")
    key = plan.put("Immunization", resource, "rxa", plan.patient_key(), code, given)
    for obx in rest:
        observation(plan, obx, ctx, f"vxu-{code}-{given}", [])
    return key


def map_vxu(plan: Plan) -> None:
    """VXU^V04: the patient context, then an Immunization per RXA."""
    ctx, _ = patient_context(plan)
    segments = list(plan.message)
    orc: Segment | None = None
    found = False
    for position, seg in enumerate(segments):
        if seg.name == "ORC":
            orc = seg
        elif seg.name == "RXA":
            after: list[Segment] = []
            for nxt in segments[position + 1 :]:
                if nxt.name in ("RXA", "ORC"):
                    break
                after.append(nxt)
            immunization(plan, orc, seg, after, ctx)
            found = True
    if not found:
        raise Hl7Problem("The message has no RXA segment", "RXA", 0, "AE", "100")
