"""Storing findings for a patient: one DetectedIssue per cause, a Flag for high severity,
and acknowledgement that silences a cause until something about it changes.

A finding's DetectedIssue carries a deterministic identifier (patient + cause), written with
a conditional create, so a re-check never duplicates it. A clinician or the patient
acknowledges it by updating it with an ``author`` and a status other than ``preliminary`` or
``registered``; while its fingerprint (severity, the drugs and allergy records involved) stays
the same it does not alert again. When the fingerprint changes it is re-opened (status back to
``preliminary``, author removed) and alerts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from operations.safety.model import Finding
from operations.safety.render import (
    FINDING_SYSTEM,
    FINGERPRINT_URL,
    detected_issue,
    finding_identifier,
    fingerprint,
)
from resources import fhir_json
from resources.identity import instant, now
from resources.ports import StoreTransaction
from resources.search.parse import parse_search
from resources.search.query import SearchQuery
from resources.search.registry import default_registry
from resources.stored import StoredVersion

FLAG_SYSTEM = "https://nutrivision.example.org/fhir/NamingSystem/safety-flag"
FLAG_DETAIL = "http://hl7.org/fhir/StructureDefinition/flag-detail"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
MAX_IMPLICATED = 20
"""Triggers kept on one DetectedIssue (the oldest drop off); history keeps the rest."""
_OPEN = frozenset({"preliminary", "registered"})
Outcome = Literal["new", "repeated", "reopened", "acknowledged"]


@dataclass(frozen=True)
class Stored:
    """What storing a finding did, and the DetectedIssue it concerns."""

    outcome: Outcome
    reference: str


def _criteria(resource_type: str, system: str, value: str) -> SearchQuery:
    pairs = [("identifier", f"{system}|{value}")]
    return parse_search((resource_type,), pairs, default_registry(), strict=True)


def acknowledged(issue: dict[str, Any]) -> bool:
    """True when a person has acknowledged the DetectedIssue (an author and a closed status)."""
    return bool(issue.get("author")) and issue.get("status") not in _OPEN


def _fingerprint_of(issue: dict[str, Any]) -> str:
    for extension in issue.get("extension", []):
        if extension.get("url") == FINGERPRINT_URL:
            return str(extension.get("valueString", ""))
    return ""


async def store_finding(
    tx: StoreTransaction, patient: str, finding: Finding, triggers: Sequence[str]
) -> Stored:
    """Create, extend, re-open or leave alone the finding's DetectedIssue; ``triggers`` are
    the writes that made the check (implicated beside what the finding involves)."""
    identifier = finding_identifier(patient, finding)
    body = detected_issue(finding, patient, *triggers)
    result = await tx.create(
        "DetectedIssue", body, _criteria("DetectedIssue", FINDING_SYSTEM, identifier)
    )
    stored = result.stored
    if result.created:
        return Stored("new", stored.reference)
    current: dict[str, Any] = fhir_json.loads(stored.body or b"{}")
    if acknowledged(current):
        if _fingerprint_of(current) == fingerprint(finding):
            return Stored("acknowledged", stored.reference)
        await tx.update(
            "DetectedIssue", stored.id, lambda _: {**body, "id": stored.id}, None, "PUT"
        )
        return Stored("reopened", stored.reference)
    await _add_triggers(tx, stored, current, body["implicated"])
    return Stored("repeated", stored.reference)


async def _add_triggers(
    tx: StoreTransaction,
    stored: StoredVersion,
    current: dict[str, Any],
    implicated: list[dict[str, Any]],
) -> None:
    """Put this check's triggers and what the finding involves first, then the earlier
    triggers; the oldest of those drop off past ``MAX_IMPLICATED``, never this check's."""
    earlier = list(current.get("implicated", []))
    if all(ref in earlier for ref in implicated):
        return
    merged = implicated + [ref for ref in earlier if ref not in implicated]
    updated = {**current, "implicated": merged[: max(MAX_IMPLICATED, len(implicated))]}
    updated.pop("meta", None)
    await tx.update("DetectedIssue", stored.id, lambda _: updated, None, "PUT")


async def raise_flag(tx: StoreTransaction, patient: str, finding: Finding, issue: str) -> None:
    """An active Flag on the patient pointing at the DetectedIssue (one per cause)."""
    identifier = finding_identifier(patient, finding)
    flag = {
        "resourceType": "Flag",
        "extension": [{"url": FLAG_DETAIL, "valueReference": {"reference": issue}}],
        "identifier": [{"system": FLAG_SYSTEM, "value": identifier}],
        "status": "active",
        "category": [{"coding": [{"system": FLAG_CATEGORY, "code": "clinical"}]}],
        "code": {"text": f"Safety alert ({finding.severity}): {finding.title}"},
        "subject": {"reference": patient},
        "period": {"start": instant(now())},
    }
    result = await tx.create("Flag", flag, _criteria("Flag", FLAG_SYSTEM, identifier))
    current: dict[str, Any] = fhir_json.loads(result.stored.body or b"{}")
    if not result.created and current.get("status") != "active":
        await tx.update(
            "Flag", result.stored.id, lambda _: {**flag, "id": result.stored.id}, None, "PUT"
        )
