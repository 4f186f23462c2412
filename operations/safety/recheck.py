"""The re-check on writes: a NutritionIntake, MedicationStatement, MedicationRequest or
AllergyIntolerance written for a patient checks that patient again, in the write's
transaction, stores the findings (``alerts``) and tells the writer (warning issues).

A NutritionIntake is checked with its own foods; a new medication or allergy with the
foods of the patient's most recent intakes (``RECENT_INTAKES``).
"""

from __future__ import annotations

from typing import Any

from operations.safety.alerts import raise_flag, store_finding
from operations.safety.engine import run_check
from operations.safety.model import FoodInput, Unrecognised
from operations.safety.patient import patient_record, transaction_search
from operations.safety.render import warning
from operations.safety.resources_in import foods_of_intake
from operations.safety.runner import checked
from resources import fhir_json
from resources.errors import Issue
from resources.errors import Severity as IssueSeverity
from resources.ports import StoreTransaction
from resources.search.parse import parse_search
from resources.search.registry import default_registry
from resources.stored import StoredVersion

WATCHED = frozenset(
    {"NutritionIntake", "MedicationStatement", "MedicationRequest", "AllergyIntolerance"}
)
RECENT_INTAKES = 20


def patient_of(resource: dict[str, Any]) -> str | None:
    """The local ``Patient/id`` a resource is about (subject or patient), if any."""
    for key in ("subject", "patient"):
        reference = (resource.get(key) or {}).get("reference", "")
        parts = str(reference).split("/")
        if len(parts) >= 2 and parts[-2] == "Patient" and parts[-1]:
            return f"Patient/{parts[-1]}"
    return None


class SafetyRecheck:
    """The ``WriteHook`` that re-checks a patient after a relevant write."""

    def __init__(self, warm: bool = True) -> None:
        if warm:  # load the knowledge bases now, not during the first write (about 1 s)
            run_check([FoodInput("grapefruit juice")], [], [])

    def watches(self, resource_type: str) -> bool:
        """NutritionIntake, MedicationStatement, MedicationRequest, AllergyIntolerance."""
        return resource_type in WATCHED

    async def after_write(self, tx: StoreTransaction, written: StoredVersion) -> list[Issue]:
        """Check the patient, store the findings, return warnings for the writer."""
        if written.body is None:
            return []
        resource: dict[str, Any] = fhir_json.loads(written.body)
        patient = patient_of(resource)
        if patient is None:
            return []
        if written.resource_type == "NutritionIntake":
            foods = await foods_of_intake(tx, resource)
        else:
            foods = await _recent_foods(tx, patient)
        if not foods:
            return []
        record = await patient_record(tx, transaction_search(tx), patient)
        result = checked("write", foods, record.medications, record.allergies)
        issues = [
            issue
            for finding in result.findings
            if (issue := await self._store(tx, patient, finding, written.reference)) is not None
        ]
        return issues + [_unrecognised(item) for item in result.unrecognised]

    async def _store(
        self, tx: StoreTransaction, patient: str, finding: Any, trigger: str
    ) -> Issue | None:
        stored = await store_finding(tx, patient, finding, trigger)
        if stored.outcome == "acknowledged":
            return Issue(
                "information",
                "informational",
                f"Acknowledged earlier, not alerted again: {finding.title} ({stored.reference})",
            )
        if finding.severity == "high":
            await raise_flag(tx, patient, finding, stored.reference)
        return warning(finding, stored.reference)


def _unrecognised(item: Unrecognised) -> Issue:
    """An input the check could not read: a warning for a food the writer logged, information
    for a record of the patient (it is repeated on every check until it is recoded)."""
    severity: IssueSeverity = "warning" if item.kind == "food" else "information"
    message = f"Unrecognised {item.kind} {item.text!r}: it was not checked for interactions"
    return Issue(severity, "not-found", message)


async def _recent_foods(tx: StoreTransaction, patient: str) -> list[FoodInput]:
    query = parse_search(
        ("NutritionIntake",),
        [("patient", patient), ("_sort", "-_lastUpdated"), ("_count", str(RECENT_INTAKES))],
        default_registry(),
    )
    page = await tx.search(query)
    foods: list[FoodInput] = []
    for version in page.matches:
        if version.body is not None:
            foods += await foods_of_intake(tx, fhir_json.loads(version.body))
    return foods
