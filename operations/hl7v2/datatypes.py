"""HL7 v2 data types to FHIR data types, after the v2-to-FHIR IG's data type maps.

https://build.fhir.org/ig/HL7/v2-to-fhir/datatype_maps.html
"""

from __future__ import annotations

import datetime
import re
from contextvars import ContextVar
from typing import Any

from operations.hl7v2.er7 import Value

JSON = dict[str, Any]

_TS = re.compile(r"^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,4})?([+-]\d{4})?$")
_SYSTEMS = {
    "LN": "http://loinc.org",
    "LOINC": "http://loinc.org",
    "SCT": "http://snomed.info/sct",
    "SNM": "http://snomed.info/sct",
    "SNOMED": "http://snomed.info/sct",
    "I10": "http://hl7.org/fhir/sid/icd-10",
    "I10C": "http://hl7.org/fhir/sid/icd-10-cm",
    "ICD10": "http://hl7.org/fhir/sid/icd-10",
    "I9": "http://hl7.org/fhir/sid/icd-9-cm",
    "I9C": "http://hl7.org/fhir/sid/icd-9-cm",
    "RXNORM": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "RXN": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "NDC": "http://hl7.org/fhir/sid/ndc",
    "CVX": "http://hl7.org/fhir/sid/cvx",
    "UCUM": "http://unitsofmeasure.org",
    "ISO+": "http://unitsofmeasure.org",
    "ANSI+": "http://unitsofmeasure.org",
}
UCUM = "http://unitsofmeasure.org"
V2_TABLE = "http://terminology.hl7.org/CodeSystem/v2-"
LOCAL = "urn:nutrivision:hl7v2:codesystem:"
SENDER_ZONE: ContextVar[str] = ContextVar("hl7v2_sender_zone", default="Z")
"""The offset of the message being mapped (from MSH-7), for times sent without one."""


def date_time(raw: str) -> str | None:
    """A v2 TS/DTM as a FHIR date or dateTime: precision kept; a time without an offset
    is in the sender's zone (MSH-7's offset; UTC when MSH-7 has none either), because a
    FHIR dateTime with a time must carry one."""
    match = _TS.match(raw.strip())
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if not _on_the_calendar(year, month, day, hour, minute, second, offset):
        return None
    if hour is None:
        return "-".join(p for p in (year, month, day) if p)
    if month is None or day is None:
        return None
    zone = SENDER_ZONE.get() if offset is None else f"{offset[:3]}:{offset[3:]}"
    text = f"{year}-{month}-{day}T{hour}:{minute or '00'}:{second or '00'}"
    if fraction and second:
        text += fraction
    return text + zone


def _on_the_calendar(*parts: str | None) -> bool:
    """A day that exists, a time of day and an offset of at most 14 hours: what FHIR's date
    and dateTime accept (``20261345`` matches the pattern only; a leap second, which FHIR
    allows and Python's datetime does not read, is refused too)."""
    year, month, day, hour, minute, second, offset = (int(p) if p else None for p in parts)
    assert year is not None
    try:
        datetime.date(year, month or 1, day or 1)
    except ValueError:
        return False
    if offset is not None and (abs(offset) // 100 > 14 or abs(offset) % 100 > 59):
        return False
    return (hour or 0) < 24 and (minute or 0) < 60 and (second or 0) < 60


def zone_of(raw: str) -> str:
    """The offset of a TS as FHIR writes it (``+01:00``), ``Z`` when it has none."""
    match = _TS.match(raw.strip())
    offset = match.group(8) if match else None
    return f"{offset[:3]}:{offset[3:]}" if offset else "Z"


def date(raw: str) -> str | None:
    """The date part of a TS/DT, as a FHIR date."""
    return date_time(raw[:8]) if raw else None


def system_of(coding_system: str) -> str | None:
    """The FHIR URI of a v2 coding system name (table 0396), local ones under our prefix."""
    name = coding_system.strip()
    if not name:
        return None
    if name.upper() in _SYSTEMS:
        return _SYSTEMS[name.upper()]
    if re.match(r"^HL7\d{4}$", name.upper()):
        return V2_TABLE + name[3:]
    if re.match(r"^\d+(\.\d+)+$", name):
        return f"urn:oid:{name}"
    return LOCAL + name


def coding(value: Value, first: int = 1) -> JSON | None:
    """A Coding from the triplet at ``first`` (1: primary, 4: alternate) of a CE/CWE/CNE."""
    code, display, system = value[first].text, value[first + 1].text, value[first + 2].text
    code = " ".join(code.split())  # a FHIR code has single spaces inside it and none around
    if not code:
        return None
    result: JSON = {"code": code}
    uri = system_of(system)
    if uri:
        result["system"] = uri
    if display:
        result["display"] = display
    return result


def concept(value: Value, table: str | None = None) -> JSON | None:
    """A CodeableConcept from a CE/CWE/CNE (both triplets, original text in component 9),
    or from a bare code of the HL7 ``table``."""
    codings = [c for c in (coding(value, 1), coding(value, 4)) if c]
    if table and codings and "system" not in codings[0]:
        codings[0]["system"] = V2_TABLE + table
    text = value[9].text if value.depth == 0 else ""
    if not codings and not text:
        return None
    result: JSON = {}
    if codings:
        result["coding"] = codings
    if text:
        result["text"] = text
    return result


def assigner_system(cx: Value) -> str | None:
    """The identifier system a CX's assigning authority (CX-4) names: its OID or URI when
    given (``&2.16.1&ISO``), else our URI for the namespace; None when CX-4 is empty."""
    authority = cx[4]
    namespace, universal, kind = authority[1].text, authority[2].text, authority[3].text
    if universal and kind.upper() in ("ISO", ""):
        return f"urn:oid:{universal}" if re.match(r"^\d+(\.\d+)+$", universal) else universal
    if universal and kind.upper() in ("URI", "URL"):
        return universal
    if namespace:
        return f"urn:nutrivision:hl7v2:authority:{namespace}"
    return None


def identifier(cx: Value, default_system: str | None = None) -> JSON | None:
    """An Identifier from a CX: value, system from the assigning authority, type (0203)."""
    value = cx[1].text
    if not value:
        return None
    result: JSON = {"value": value}
    system = assigner_system(cx) or default_system
    if system:
        result["system"] = system
    kind = cx[5].text
    if kind:
        result["type"] = {"coding": [{"system": V2_TABLE + "0203", "code": kind}]}
    return result


_NAME_USE = {
    "L": "official", "D": "usual", "M": "maiden", "N": "nickname", "A": "anonymous",
    "S": "anonymous", "B": "official", "C": "official", "T": "temp", "TEMP": "temp",
}  # fmt: skip


def human_name(xpn: Value) -> JSON | None:
    """A HumanName from an XPN: family (1.1), given and middle (2, 3), suffix (4, 6),
    prefix (5), use (7)."""
    result: JSON = {}
    family = xpn[1][1].text
    if family:
        result["family"] = family
    given = [g for g in (xpn[2].text, xpn[3].text) if g]
    if given:
        result["given"] = given
    prefix, suffixes = xpn[5].text, [s for s in (xpn[4].text, xpn[6].text) if s]
    if prefix:
        result["prefix"] = [prefix]
    if suffixes:
        result["suffix"] = suffixes
    if not result:
        return None
    use = _NAME_USE.get(xpn[7].text.upper())
    if use:
        result["use"] = use
    return result


_ADDRESS_USE = {"H": "home", "B": "work", "O": "work", "C": "temp", "BA": "old", "M": "home"}


def address(xad: Value) -> JSON | None:
    """An Address from an XAD: lines (1.1, 2), city, state, postal code, country, use."""
    result: JSON = {}
    lines = [line for line in (xad[1][1].text, xad[2].text) if line]
    if lines:
        result["line"] = lines
    for position, key in ((3, "city"), (4, "state"), (5, "postalCode"), (6, "country")):
        if xad[position].text:
            result[key] = xad[position].text
    if xad[9].text:
        result["district"] = xad[9].text
    if not result:
        return None
    use = _ADDRESS_USE.get(xad[7].text.upper())
    if use:
        result["use"] = use
    return result


_TELECOM_USE = {"PRN": "home", "ORN": "home", "WPN": "work", "VHN": "temp", "EMR": "home"}


def contact_point(xtn: Value) -> JSON | None:
    """A ContactPoint from an XTN: the number (1, or 5-7 pieces), email (4), use (2)."""
    kind = xtn[3].text.upper()
    email = xtn[4].text
    pieces = "".join(p for p in (xtn[5].text, xtn[6].text, xtn[7].text) if p)
    value = xtn[1].text or pieces
    result: JSON
    if email or kind in ("INTERNET", "X.400"):
        if not (email or value):
            return None
        result = {"system": "email", "value": email or value}
    elif value:
        system = {"FX": "fax", "BP": "pager", "CP": "phone", "PH": "phone"}.get(kind, "phone")
        result = {"system": system, "value": value}
    else:
        return None
    use = "mobile" if kind == "CP" else _TELECOM_USE.get(xtn[2].text.upper())
    if use:
        result["use"] = use
    return result


_GENDER = {"M": "male", "F": "female", "O": "other", "A": "other", "N": "other", "U": "unknown"}


def gender(code: str) -> str | None:
    """Administrative sex (table 0001) as a FHIR gender."""
    return _GENDER.get(code.strip().upper()) if code.strip() else None


_NM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
"""A v2 NM: an optional sign, digits and an optional decimal point (no exponent, NaN or
infinity, which FHIR's decimal does not have either)."""


def number(text: str) -> int | float | None:
    """A v2 NM as a JSON number (an integer when written without a decimal point)."""
    text = text.strip()
    if not _NM.match(text):
        return None
    return int(text) if "." not in text else float(text)


def quantity(amount: str, unit: Value) -> JSON | None:
    """A Quantity from a numeric string and a CE/CWE unit (UCUM when so coded, or when
    no system is named, as the v2 default for OBX-6 is ISO+/UCUM)."""
    value = number(amount)
    if value is None:
        return None
    result: JSON = {"value": value}
    code, text, system = unit[1].text, unit[2].text, unit[3].text
    if code or text:
        result["unit"] = text or code
    if code:
        result["code"] = code
        result["system"] = system_of(system) or UCUM
    return result
