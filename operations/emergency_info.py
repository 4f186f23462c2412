"""``Patient/[id]/$emergency-info``: what a first responder needs, and nothing else.

https://hl7.org/fhir/R4/operations.html (a Nutri-Vision operation; see docs/audit.md)

The summary holds the patient's allergies and intolerances (all but those entered in error or
refuted: a missed allergen is the worst failure), active conditions, active medications
(MedicationStatement and MedicationRequest), emergency contacts (RelatedPerson) and advance
directives (Consent with the ``adr`` scope or an advance-directive category). Under a
break-glass token the HTTP layer runs it on the unrestricted store for this one patient and
records the access; with any other token it runs on the caller's own view of the data.
"""

from __future__ import annotations

from typing import Any

from operations.base import OperationContext, OperationResult
from operations.parameters import Parameters
from resources import error_codes, fhir_json
from resources.errors import Gone, NotFound
from resources.identity import now
from resources.search.parse import parse_search
from resources.search.registry import default_registry

DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "emergency-info",
    "url": "https://nutrivision.example.org/fhir/OperationDefinition/emergency-info",
    "name": "EmergencyInfo",
    "status": "active",
    "kind": "operation",
    "code": "emergency-info",
    "resource": ["Patient"],
    "system": False,
    "type": False,
    "instance": True,
    "affectsState": False,
    "parameter": [
        {"name": "return", "use": "out", "min": 1, "max": "1", "type": "Bundle"},
    ],
}

SUMMARY_TYPES = (
    "AllergyIntolerance",
    "Condition",
    "MedicationStatement",
    "MedicationRequest",
    "RelatedPerson",
    "Consent",
)
PAGE = 1000
ACTIVE_CONDITION = frozenset({"active", "recurrence", "relapse"})
ACTIVE_STATEMENT = frozenset({"active", "intended"})
ACTIVE_REQUEST = frozenset({"active", "on-hold"})
ADVANCE_DIRECTIVE = frozenset({"adr", "acd", "75320-2", "42348-3"})


def _codes(concept: Any) -> set[str]:
    if not isinstance(concept, dict):
        return set()
    return {str(c.get("code")) for c in concept.get("coding", []) if isinstance(c, dict)}


def _allergy(resource: dict[str, Any]) -> bool:
    return not _codes(resource.get("verificationStatus")) & {"entered-in-error", "refuted"}


def _advance_directive(resource: dict[str, Any]) -> bool:
    found = _codes(resource.get("scope"))
    for category in resource.get("category", []):
        found |= _codes(category)
    return resource.get("status") == "active" and bool(found & ADVANCE_DIRECTIVE)


def in_summary(resource: dict[str, Any]) -> bool:
    """Whether a resource of the patient's record belongs in the emergency summary."""
    kind = resource.get("resourceType")
    if kind == "AllergyIntolerance":
        return _allergy(resource)
    if kind == "Condition":
        return bool(_codes(resource.get("clinicalStatus")) & ACTIVE_CONDITION)
    if kind == "MedicationStatement":
        return resource.get("status") in ACTIVE_STATEMENT
    if kind == "MedicationRequest":
        return resource.get("status") in ACTIVE_REQUEST
    if kind == "RelatedPerson":
        return resource.get("active", True) is not False
    return kind == "Consent" and _advance_directive(resource)


async def _record(ctx: OperationContext, patient: str) -> list[dict[str, Any]]:
    query = parse_search(
        SUMMARY_TYPES,
        [("patient", patient), ("_count", str(PAGE))],
        default_registry(),
        max_count=PAGE,
    )
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = await ctx.store.search(query, cursor)
        found += [fhir_json.loads(v.body) for v in page.matches if v.body is not None]
        cursor = page.next_cursor
        if cursor is None:
            return found


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """A ``collection`` Bundle of the patient's emergency summary."""
    _, patient = ctx.instance()
    stored = await ctx.store.read("Patient", patient)
    if stored is None:
        raise NotFound(f"Patient/{patient} is not known", error_codes.RESOURCE_NOT_FOUND)
    if stored.deleted:
        raise Gone(f"Patient/{patient} was deleted", error_codes.RESOURCE_GONE)
    kept = [r for r in await _record(ctx, patient) if in_summary(r)]
    kept.sort(key=lambda r: (SUMMARY_TYPES.index(r["resourceType"]), str(r.get("id"))))
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": now().isoformat(),
        "total": len(kept),
        "entry": [
            {"fullUrl": f"{ctx.base_url}/{r['resourceType']}/{r['id']}", "resource": r}
            for r in kept
        ],
    }
    return OperationResult(bundle)
