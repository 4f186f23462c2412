"""OBX to Observation: coded test, typed value with UCUM unit, reference range, abnormal
flags as interpretation, status, NTE as notes.

https://build.fhir.org/ig/HL7/v2-to-fhir/ConceptMap-segment-obx-to-observation.html
"""

from __future__ import annotations

import re

from operations.hl7v2 import datatypes as dt
from operations.hl7v2.er7 import Segment, unescape
from operations.hl7v2.plan import JSON, Plan
from operations.hl7v2.problems import Hl7Problem

INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
_OBX_STATUS = {"F": "final", "P": "preliminary", "C": "corrected", "D": "entered-in-error",
               "W": "entered-in-error", "X": "cancelled", "R": "preliminary", "I": "registered",
               "S": "preliminary", "A": "amended"}  # fmt: skip
_RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$")
_BOUND = re.compile(r"^\s*([<>]=?)\s*(-?\d+(?:\.\d+)?)\s*$")
_NUMERIC = ("NM", "SN")


def _limit(number: str, unit: JSON | None) -> JSON:
    limit: JSON = {"value": dt.number(number)}
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


def observation(
    plan: Plan,
    obx: Segment,
    context: JSON,
    order: str,
    notes: list[str],
    category: str = "laboratory",
) -> str:
    """One OBX to an Observation (keyed by the order, code and sub-id, so a correction
    updates it)."""
    code = dt.concept(obx.first(3))
    if code is None:
        raise Hl7Problem("OBX-3 observation identifier is empty", "OBX", 3, "AE", "101",
                         obx.index + 1)  # fmt: skip
    resource: JSON = {
        "resourceType": "Observation",
        "status": _OBX_STATUS.get(obx.get(11).upper(), "final"),
        "category": [{"coding": [{"system": CATEGORY, "code": category}]}],
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
