"""A patient's current medications and allergies, read through the caller's view of the data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from operations.safety.model import AllergyInput, MedicationInput
from operations.safety.resources_in import Reader, allergy_of, medication_of
from resources import fhir_json
from resources.ports import ResourceStore, StoreTransaction
from resources.search.parse import parse_search
from resources.search.query import SearchQuery
from resources.search.registry import default_registry
from resources.stored import SearchPage

PAGE = 1000
RECORD_TYPES = ("MedicationStatement", "MedicationRequest", "AllergyIntolerance")
Search = Callable[[SearchQuery], Awaitable[SearchPage]]


@dataclass(frozen=True)
class PatientRecord:
    """What the check needs from a patient's record."""

    medications: list[MedicationInput]
    allergies: list[AllergyInput]


def store_search(store: ResourceStore) -> Search:
    """Searches on the caller's store (first page: a patient has fewer than 500 of each)."""

    async def search(query: SearchQuery) -> SearchPage:
        return await store.search(query, None)

    return search


def transaction_search(tx: StoreTransaction) -> Search:
    """Searches inside an open transaction, seeing its own writes."""

    async def search(query: SearchQuery) -> SearchPage:
        return await tx.search(query)

    return search


async def _resources(search: Search, patient: str) -> list[dict[str, Any]]:
    # One search over the three types: one query instead of three.
    query = parse_search(
        RECORD_TYPES,
        [("patient", patient), ("_count", str(PAGE))],
        default_registry(),
        max_count=PAGE,
    )
    page = await search(query)
    return [fhir_json.loads(v.body) for v in page.matches if v.body is not None]


async def patient_record(reader: Reader, search: Search, patient: str) -> PatientRecord:
    """Active MedicationStatements and MedicationRequests, and current AllergyIntolerances."""
    medications: list[MedicationInput] = []
    allergies: list[AllergyInput] = []
    for resource in await _resources(search, patient):
        if resource.get("resourceType") == "AllergyIntolerance":
            allergy = allergy_of(resource)
            if allergy is not None:
                allergies.append(allergy)
            continue
        medication = await medication_of(reader, resource)
        if medication is not None:
            medications.append(medication)
    return PatientRecord(medications, allergies)
