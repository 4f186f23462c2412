"""The search parameters whose values are PHI, stored as blind indexes rather than text.

The person types' names, addresses, contact points, identifiers and dates of birth and death
(https://hl7.org/fhir/R4/patient.html#search and the same parameters on RelatedPerson,
Practitioner and Person). The other standard parameters of these types (gender, active,
references) and every other type keep plain index values. A parameter of a person type that
is not a standard one (a custom SearchParameter, say on a mother's maiden name) is PHI until
shown otherwise: its string, token and date values are blinded too.
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


RESOURCE_CODES = frozenset(
    {"_id", "_lastUpdated", "_tag", "_profile", "_security", "_source", "_text", "_content"}
    | {"_query", "_list", "_has", "_type"}
)
PLAIN_CODES: dict[str, frozenset[str]] = {
    "Patient": frozenset(
        {"active", "deceased", "gender", "general-practitioner", "language", "link", "organization"}
        | {"address-use"}
    ),
    "Practitioner": frozenset({"active", "address-use", "communication", "gender"}),
    "RelatedPerson": frozenset({"active", "address-use", "gender", "patient", "relationship"}),
    "Person": frozenset(
        {"address-use", "gender", "link", "organization", "patient", "practitioner"}
        | {"relatedperson"}
    ),
}
"""The standard parameters of each person type whose values are not PHI (R4 search pages);
``address-use`` (home, work) as well."""


def is_phi(resource_type: str, code: str) -> bool:
    """True when ``code`` of ``resource_type`` is stored as a blind index."""
    if resource_type not in PERSON_TYPES:
        return False
    return code in PHI_CODES or not (code in RESOURCE_CODES or code in PLAIN_CODES[resource_type])


BLINDED_TYPES = frozenset({"string", "token", "date"})
"""Search parameter types whose values can be blinded; others of a PHI code stay plain."""


def phi_types(types: Iterable[str], code: str, param_type: str) -> tuple[str, ...]:
    """The types among ``types`` (all person types when empty) where ``code``, a parameter of
    ``param_type``, is searched through blind indexes."""
    if param_type not in BLINDED_TYPES:
        return ()
    candidates = tuple(types) or PERSON_TYPES
    return tuple(t for t in candidates if is_phi(t, code))


NAME_PARTS = ("family", "given")
ADDRESS_PARTS = ("address-city", "address-state", "address-postalcode", "address-country")
COVERED_BY: dict[str, tuple[str, ...]] = {"name": NAME_PARTS, "address": ADDRESS_PARTS}
"""Values of the key parameter that its parts already store are not stored again under it:
``name`` keeps only what is not a family or given name (prefix, suffix, text), ``address``
only what is not a city, state, postal code or country (lines, district, text)."""
NOT_STORED = frozenset({"phonetic"})
"""Stored as ``name`` (this server's phonetic search is the name search: same expression)."""
DOMAIN = {
    "phonetic": "name",
    **dict.fromkeys(("name", *NAME_PARTS), "name"),
    **dict.fromkeys(("address", *ADDRESS_PARTS), "address"),
}
"""The digest domain of a string parameter: one per group, so a family name stored under
``family`` is found by ``name`` with the same digest."""


def searched_params(code: str) -> tuple[str, ...]:
    """The parameters whose rows a search on ``code`` looks at."""
    key = "name" if code == "phonetic" else code
    return (key, *COVERED_BY.get(key, ()))


def digest_domain(code: str) -> str:
    """The parameter name digests of ``code`` are bound to."""
    return DOMAIN.get(code, code)
