"""Comparing what we wrote for a message with a converter's expected Bundle, field by field.

Only the fields that matter clinically are compared, as sets of values per resource type:
a field agrees when the two sets share a value and one holds the other (the expected
converter maps more identifiers, aliases and OBX segments than we do; our Patient
accumulates identifiers from earlier messages). Date-times are compared as instants (the
expected Bundles restate them in another offset). Fields the expected Bundle lacks are not
counted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]
Values = Callable[[JSON, dict[str, JSON]], Iterable[Any]]


def _codes(concept: Any) -> list[str]:
    if not isinstance(concept, dict):
        return []
    return [c["code"] for c in concept.get("coding", []) if "code" in c]


def _medication(resource: JSON, by_ref: dict[str, JSON]) -> list[str]:
    if "medicationCodeableConcept" in resource:
        return _codes(resource["medicationCodeableConcept"])
    target = by_ref.get(resource.get("medicationReference", {}).get("reference", ""), {})
    return _codes(target.get("code"))


def _value(resource: JSON, _: dict[str, JSON]) -> list[str]:
    if "valueQuantity" in resource and "value" in resource["valueQuantity"]:
        return [f"{float(resource['valueQuantity']['value']):g}"]
    if "valueString" in resource:
        return [resource["valueString"].strip()]
    return _codes(resource.get("valueCodeableConcept"))


FIELDS: dict[str, dict[str, Values]] = {
    "Patient": {
        "identifier": lambda r, _: [i.get("value") for i in r.get("identifier", [])],
        "family": lambda r, _: [n.get("family") for n in r.get("name", []) if n.get("family")],
        "given": lambda r, _: [g for n in r.get("name", []) for g in n.get("given", [])],
        "birthDate": lambda r, _: [r["birthDate"]] if "birthDate" in r else [],
        "gender": lambda r, _: [r["gender"]] if "gender" in r else [],
    },
    "Encounter": {
        "class": lambda r, _: [r.get("class", {}).get("code")] if r.get("class") else [],
        "period.start": lambda r, _: [r.get("period", {}).get("start")],
        "period.end": lambda r, _: [r.get("period", {}).get("end")],
    },
    "AllergyIntolerance": {
        "code": lambda r, _: _codes(r.get("code")),
        "reaction": lambda r, _: [
            m.get("text") or ",".join(_codes(m))
            for x in r.get("reaction", [])
            for m in x.get("manifestation", [])
        ],
    },
    "Condition": {"code": lambda r, _: _codes(r.get("code"))},
    "Observation": {
        "code": lambda r, _: _codes(r.get("code")),
        "value": _value,
        "unit": lambda r, _: [r.get("valueQuantity", {}).get("unit")],
        "interpretation": lambda r, _: [c for i in r.get("interpretation", []) for c in _codes(i)],
    },
    "ServiceRequest": {
        "code": lambda r, _: _codes(r.get("code")),
        "identifier": lambda r, _: [i.get("value") for i in r.get("identifier", [])],
        "status": lambda r, _: [r.get("status")],
    },
    "NutritionOrder": {"status": lambda r, _: [r.get("status")]},
    "Immunization": {
        "vaccineCode": lambda r, _: _codes(r.get("vaccineCode")),
        "occurrence": lambda r, _: [r.get("occurrenceDateTime")],
        "lotNumber": lambda r, _: [r.get("lotNumber")],
        "status": lambda r, _: [r.get("status")],
    },
    "DocumentReference": {
        "type": lambda r, _: _codes(r.get("type")),
        "masterIdentifier": lambda r, _: [r.get("masterIdentifier", {}).get("value")],
        "docStatus": lambda r, _: [r.get("docStatus")],
    },
    "Appointment": {
        "identifier": lambda r, _: [i.get("value") for i in r.get("identifier", [])],
        "status": lambda r, _: [r.get("status")],
        "appointmentType": lambda r, _: _codes(r.get("appointmentType")),
        "start": lambda r, _: [r.get("start")],
    },
    "MedicationRequest": {"medication": _medication},
    "MedicationDispense": {"medication": _medication},
}


def _normal(value: Any) -> str:
    text = str(value)
    if len(text) > 19 and text[10] == "T" and text[4] == "-":
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).isoformat()
        except ValueError:
            return text
    return text


def values(resources: list[JSON], type_: str, name: str, by_ref: dict[str, JSON]) -> set[str]:
    """Every value of one field over the resources of one type."""
    getter = FIELDS[type_][name]
    found = (v for r in resources if r.get("resourceType") == type_ for v in getter(r, by_ref))
    return {_normal(v)[:10] if name == "birthDate" else _normal(v) for v in found if v}


@dataclass
class Tally:
    """Agreement for one message type."""

    messages: int = 0
    agree: int = 0
    total: int = 0
    differences: list[str] = field(default_factory=list)


def compare(expected: list[JSON], ours: list[JSON], label: str, tally: Tally) -> None:
    """Count the agreeing fields of one message into ``tally``."""
    exp_refs = {f"{r['resourceType']}/{r.get('id')}": r for r in expected}
    tally.messages += 1
    for type_, names in FIELDS.items():
        for name in names:
            wanted = values(expected, type_, name, exp_refs)
            if not wanted:
                continue
            got = values(ours, type_, name, {})
            tally.total += 1
            if wanted & got and (wanted <= got or got <= wanted):
                tally.agree += 1
            else:
                missing = sorted(wanted - got)[:3]
                tally.differences.append(
                    f"{label} {type_}.{name}: expected {missing}, ours {sorted(got)[:3]}"
                )


def report(tallies: dict[str, Tally]) -> str:
    """A Markdown table per message type, then every difference."""
    lines = ["| message type | messages | fields agreeing |", "|---|---|---|"]
    for kind, tally in sorted(tallies.items()):
        share = f"{tally.agree}/{tally.total}" if tally.total else "-"
        lines.append(f"| {kind} | {tally.messages} | {share} |")
    lines.append("")
    for _kind, tally in sorted(tallies.items()):
        lines.extend(f"- {d}" for d in tally.differences)
    return "\n".join(lines) + "\n"


def tallies() -> defaultdict[str, Tally]:
    """An empty tally per message type."""
    return defaultdict(Tally)
