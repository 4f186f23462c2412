"""The search parameters whose values are PHI, stored as blind indexes rather than text.

The person types' names, addresses, contact points, identifiers and dates of birth and death
(https://hl7.org/fhir/R4/patient.html#search and the same parameters on RelatedPerson,
Practitioner and Person). Other parameters of these types (gender, active, references) and
every other type keep plain index values.
"""

from __future__ import annotations

from collections.abc import Iterable

PERSON_TYPES = ("Patient", "RelatedPerson", "Practitioner", "Person")
STRING_CODES = frozenset(
    {
        "name",
        "given",
        "family",
        "phonetic",
        "address",
        "address-city",
        "address-postalcode",
        "address-state",
        "address-country",
    }
)
TOKEN_CODES = frozenset({"telecom", "email", "phone", "identifier"})
DATE_CODES = frozenset({"birthdate", "death-date"})
PHI_CODES = STRING_CODES | TOKEN_CODES | DATE_CODES


def is_phi(resource_type: str, code: str) -> bool:
    """True when ``code`` of ``resource_type`` is stored as a blind index."""
    return resource_type in PERSON_TYPES and code in PHI_CODES


def phi_types(types: Iterable[str], code: str) -> tuple[str, ...]:
    """The types among ``types`` (all person types when empty) where ``code`` is PHI."""
    candidates = tuple(types) or PERSON_TYPES
    return tuple(t for t in candidates if is_phi(t, code))
