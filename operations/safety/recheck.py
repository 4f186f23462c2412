"""The re-check on writes: a NutritionIntake, MedicationStatement, MedicationRequest or
AllergyIntolerance written for a patient checks that patient again, in the write's
transaction, stores the findings (``alerts``) and tells the writer (warning issues).
Allergies and medications written together (``create_many``) check each patient once,
after all of them are written: that check sees the whole record, as the last of one check
per write did, and its findings name every one of them as a trigger.

A NutritionIntake is checked with its own foods; a new medication or allergy with the
foods of the patient's most recent intakes (``RECENT_INTAKES``), and against the patient's
allergies or medications even when no intake is logged (a drug allergy needs no meal).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from operations.safety.alerts import raise_flag, store_finding
from operations.safety.engine import run_check
from operations.safety.model import AllergyInput, FoodInput, MedicationInput, Unrecognised
from operations.safety.patient import RECORD_TYPES, patient_record, transaction_search
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


def warm_up() -> None:
    """Load every knowledge base a check reads (foods and allergens, medications, the
    interaction rules) with one check that touches each: in a server, before its startup
    objects are frozen (``fhir_server.heap``) rather than during the first request that
    names a medication (0.1-0.3 s)."""
    run_check(
        [FoodInput("grapefruit juice")], [MedicationInput("warfarin")], [AllergyInput("peanut")]
    )


class SafetyRecheck:
    """The ``WriteHook`` that re-checks a patient after a relevant write; a ``BatchWriteHook``
    for the patient's record (allergies, medications): written together, as an HL7 v2
    message writes them, they check each patient once, after all of them."""

    def __init__(self, warm: bool = True) -> None:
        if warm:  # load the knowledge bases now, not during the first write (about 1 s)
            warm_up()

    def watches(self, resource_type: str) -> bool:
        """NutritionIntake, MedicationStatement, MedicationRequest, AllergyIntolerance."""
        return resource_type in WATCHED

    def batches(self, resource_type: str) -> bool:
        """The record types: their check reads the patient's recent foods, the same for
        each of them. A NutritionIntake is checked with its own foods, one at a time."""
        return resource_type in RECORD_TYPES

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
        return await self._check(tx, patient, foods, [written.reference])

    async def after_writes(
        self, tx: StoreTransaction, written: Sequence[StoredVersion]
    ) -> dict[str, list[Issue]]:
        """Each patient checked once, after all of ``written``: its findings (each naming
        every written version of the patient as a trigger) are told to each writer."""
        told: dict[str, list[Issue]] = {}
        by_patient: dict[str, list[str]] = {}
        for version in written:
            if version.resource_type not in RECORD_TYPES:  # not batched: checked alone
                told[version.reference] = await self.after_write(tx, version)
            elif version.body is not None and not version.deleted:
                patient = patient_of(fhir_json.loads(version.body))
                if patient is not None:
                    by_patient.setdefault(patient, []).append(version.reference)
        for patient, triggers in by_patient.items():
            issues = await self._check(tx, patient, await _recent_foods(tx, patient), triggers)
            told.update({reference: issues for reference in triggers})
        return told

    async def _check(
        self, tx: StoreTransaction, patient: str, foods: list[FoodInput], triggers: list[str]
    ) -> list[Issue]:
        record = await patient_record(tx, transaction_search(tx), patient)
        if not foods and not (record.medications and record.allergies):
            return []  # nothing that can interact: a drug allergy needs no meal
        result = checked("write", foods, record.medications, record.allergies)
        issues = [
            issue
            for finding in result.findings
            if (issue := await self._store(tx, patient, finding, triggers)) is not None
        ]
        return issues + [_unrecognised(item) for item in result.unrecognised]

    async def _store(
        self, tx: StoreTransaction, patient: str, finding: Any, triggers: list[str]
    ) -> Issue | None:
        stored = await store_finding(tx, patient, finding, triggers)
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
