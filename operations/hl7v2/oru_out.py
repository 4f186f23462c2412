"""An HL7 v2.5.1 ORU^R01 built from FHIR: a Patient, Observations and, optionally, the
DiagnosticReport that groups them (the outbound side of the v2-to-FHIR maps, reversed).

https://build.fhir.org/ig/HL7/v2-to-fhir/ConceptMap-segment-obx-to-observation.html
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from operations.hl7v2 import datatypes as dt
from operations.hl7v2.er7 import Encoding, escape

JSON = dict[str, Any]
ENC = Encoding()
_SYSTEM_NAMES = {
    "http://loinc.org": "LN",
    "http://snomed.info/sct": "SCT",
    "http://unitsofmeasure.org": "UCUM",
    "http://hl7.org/fhir/sid/icd-10": "I10",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "RXNORM",
}
_STATUS = {"final": "F", "preliminary": "P", "corrected": "C", "amended": "C",
           "entered-in-error": "W", "cancelled": "X", "registered": "I"}  # fmt: skip
_GENDER = {"male": "M", "female": "F", "other": "O", "unknown": "U"}


def _e(text: Any) -> str:
    return escape(str(text), ENC) if text is not None else ""


def _join(*parts: str) -> str:
    return ENC.component.join(parts).rstrip(ENC.component)


def _system_name(system: str | None) -> str:
    if not system:
        return ""
    if system in _SYSTEM_NAMES:
        return _SYSTEM_NAMES[system]
    if system.startswith(dt.V2_TABLE):
        return "HL7" + system.removeprefix(dt.V2_TABLE)
    if system.startswith(dt.LOCAL):
        return system.removeprefix(dt.LOCAL)
    return system.removeprefix("urn:oid:")


def _ce(concept: JSON | None) -> str:
    if not concept:
        return ""
    coding = (concept.get("coding") or [{}])[0]
    code = _join(
        _e(coding.get("code")), _e(coding.get("display")), _system_name(coding.get("system"))
    )
    text = concept.get("text")
    if text:  # CWE-9, original text, after the two empty-able triplets and versions
        parts = code.split(ENC.component)
        code = ENC.component.join([*parts, *[""] * (8 - len(parts)), _e(text)])
    return code


def _ts(value: str | None) -> str:
    """A FHIR date or dateTime as a v2 DTM, with its offset."""
    if not value:
        return ""
    if len(value) <= 10:
        return value.replace("-", "")
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    offset = moment.strftime("%z") or "+0000"
    return moment.strftime("%Y%m%d%H%M%S") + offset


def _cx(identifier: JSON) -> str:
    system = str(identifier.get("system", ""))
    authority = ""
    if system.startswith("urn:nutrivision:hl7v2:authority:"):
        authority = _e(system.rsplit(":", 1)[1])
    elif system.startswith("urn:oid:"):
        authority = ENC.subcomponent.join(["", system.removeprefix("urn:oid:"), "ISO"])
    elif system:
        authority = ENC.subcomponent.join(["", _e(system), "URI"])
    kind = ((identifier.get("type") or {}).get("coding") or [{}])[0].get("code", "MR")
    return _join(_e(identifier.get("value")), "", "", authority, _e(kind))


def _pid(patient: JSON) -> str:
    ids = ENC.repetition.join(_cx(i) for i in patient.get("identifier", []) if i.get("value"))
    names = []
    for name in patient.get("name", []):
        given = name.get("given", [])
        names.append(_join(_e(name.get("family", "")), *(_e(g) for g in given[:2])))
    gender = _GENDER.get(str(patient.get("gender")), "")
    birth = _ts(patient.get("birthDate"))
    return ENC.field.join(["PID", "1", "", ids, "", ENC.repetition.join(names), "", birth, gender])


def _value(observation: JSON) -> tuple[str, str, str]:
    """OBX-2, OBX-5, OBX-6."""
    if "valueQuantity" in observation:
        q = observation["valueQuantity"]
        unit = _join(_e(q.get("code", q.get("unit", ""))), _e(q.get("unit", "")),
                     _system_name(q.get("system")) if q.get("code") else "")  # fmt: skip
        if q.get("comparator"):
            return "SN", _join(_e(q["comparator"]), _e(q.get("value"))), unit
        return "NM", _e(q.get("value")), unit
    if "valueCodeableConcept" in observation:
        return "CWE", _ce(observation["valueCodeableConcept"]), ""
    if "valueDateTime" in observation:
        return "DTM", _ts(observation["valueDateTime"]), ""
    if "valueString" in observation:
        return "ST", _e(observation["valueString"]), ""
    return "ST", "", ""


def _obx(index: int, observation: JSON) -> list[str]:
    kind, value, unit = _value(observation)
    ranges = observation.get("referenceRange") or [{}]
    flags = ENC.repetition.join(
        _e(c.get("code"))
        for i in observation.get("interpretation", [])
        for c in i.get("coding", [])
    )
    status = _STATUS.get(str(observation.get("status")), "F")
    fields = ["OBX", str(index), kind, _ce(observation.get("code")), "", value, unit,
              _e(ranges[0].get("text", "")), flags, "", "", status, "", "",
              _ts(observation.get("effectiveDateTime"))]  # fmt: skip
    notes = [f"NTE{ENC.field}{n}{ENC.field}L{ENC.field}{_e(note.get('text'))}"
             for n, note in enumerate(observation.get("note", []), 1)]  # fmt: skip
    return [ENC.field.join(fields), *notes]


def build_oru(
    patient: JSON,
    observations: list[JSON],
    report: JSON | None = None,
    control_id: str = "",
    sender: tuple[str, str] = ("NUTRIVISION", "NUTRIVISION"),
) -> str:
    """The ORU^R01 text (CR-separated): MSH, PID, one OBR, one OBX (and NTEs) per
    Observation; ``control_id`` defaults to one made from the time."""
    now = datetime.now(UTC)
    control = control_id or now.strftime("NV%Y%m%d%H%M%S%f")
    msh = ENC.field.join(["MSH", ENC.msh2, sender[0], sender[1], "", "", _ts(now.isoformat()), "",
                          "ORU^R01^ORU_R01", control, "P", "2.5.1"])  # fmt: skip
    report = report or {}
    when = report.get("effectiveDateTime") or (
        observations[0].get("effectiveDateTime") if observations else None
    )
    order = ((report.get("identifier") or [{}])[0]).get("value", control)
    code = _ce(report.get("code")) or "LAB^Laboratory"
    status = _STATUS.get(str(report.get("status")), "F")
    obr = ENC.field.join(["OBR", "1", "", _e(order), code, "", "", _ts(when), *[""] * 17, status])
    segments = [msh, _pid(patient), obr]
    for index, observation in enumerate(observations, 1):
        segments.extend(_obx(index, observation))
    return "\r".join(segments) + "\r"
