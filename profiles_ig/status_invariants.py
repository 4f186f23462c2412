"""The status invariants of Condition and AllergyIntolerance in Python: con-3, con-4, con-5,
ait-1 and ait-2 of R4.

A record's Conditions and allergies come in most Bundles from an EHR, and fhirpathpy takes
about 0.2 ms for each of these expressions (0.7 ms a Condition for its three). Each function
answers True only where its expression certainly holds on the JSON; for anything else (a
violation, a shape the model would refuse) it answers None, and the expression itself
decides (``checks.invariant_issues``). They are found by the exact text of the expression,
so a profile's own constraint under one of these keys is still evaluated as written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
ENDED = frozenset({"resolved", "remission", "inactive"})
IN_ERROR = frozenset({"entered-in-error"})


def _present(value: Mapping[str, Any], element: str) -> bool | None:
    """Whether a CodeableConcept element is there (None: neither absent nor an object)."""
    if element not in value:
        return False
    concept = value[element]
    return True if isinstance(concept, Mapping) and concept else None


def _coded(
    value: Mapping[str, Any], element: str, system: str, codes: frozenset[str]
) -> bool | None:
    """Whether the element has a coding of ``system`` with one of ``codes``: what
    ``element.coding.where(system = S and code = C).exists()`` answers (None: an odd shape)."""
    present = _present(value, element)
    if not present:
        return present
    codings = value[element].get("coding", [])
    if not isinstance(codings, list) or not all(isinstance(c, Mapping) for c in codings):
        return None
    return any(
        c.get("system") == system and isinstance(c.get("code"), str) and c["code"] in codes
        for c in codings
    )


def _con_3(value: Any) -> bool | None:
    """``clinicalStatus.exists() or verificationStatus...'entered-in-error'.exists() or
    category.select($this='problem-list-item').empty()``: the first two."""
    if not isinstance(value, Mapping):
        return None
    if _present(value, "clinicalStatus"):
        return True
    return True if _coded(value, "verificationStatus", CONDITION_VERIFICATION, IN_ERROR) else None


def _con_4(value: Any) -> bool | None:
    """``abatement.empty() or clinicalStatus...(resolved | remission | inactive).exists()``."""
    if not isinstance(value, Mapping):
        return None
    if not any(key.startswith(("abatement", "_abatement")) for key in value):
        return True
    return True if _coded(value, "clinicalStatus", CONDITION_CLINICAL, ENDED) else None


def _not_in_error(system: str) -> Callable[[Any], bool | None]:
    """``verificationStatus...'entered-in-error'.empty() or clinicalStatus.empty()``."""

    def holds(value: Any) -> bool | None:
        if not isinstance(value, Mapping):
            return None
        if _present(value, "clinicalStatus") is False:
            return True
        return True if _coded(value, "verificationStatus", system, IN_ERROR) is False else None

    return holds


def _ait_1(value: Any) -> bool | None:
    """``verificationStatus...'entered-in-error'.exists() or clinicalStatus.exists()``."""
    if not isinstance(value, Mapping):
        return None
    if _present(value, "clinicalStatus"):
        return True
    return True if _coded(value, "verificationStatus", ALLERGY_VERIFICATION, IN_ERROR) else None


BY_EXPRESSION: dict[str, Callable[[Any], bool | None]] = {
    "clinicalStatus.exists() or verificationStatus.coding.where(system='http://terminology.hl7"
    ".org/CodeSystem/condition-ver-status' and code = 'entered-in-error').exists() or "
    "category.select($this='problem-list-item').empty()": _con_3,
    "abatement.empty() or clinicalStatus.coding.where(system='http://terminology.hl7.org/"
    "CodeSystem/condition-clinical' and (code='resolved' or code='remission' or "
    "code='inactive')).exists()": _con_4,
    "verificationStatus.coding.where(system='http://terminology.hl7.org/CodeSystem/"
    "condition-ver-status' and code='entered-in-error').empty() or clinicalStatus.empty()": (
        _not_in_error(CONDITION_VERIFICATION)
    ),
    "verificationStatus.coding.where(system = 'http://terminology.hl7.org/CodeSystem/"
    "allergyintolerance-verification' and code = 'entered-in-error').exists() or "
    "clinicalStatus.exists()": _ait_1,
    "verificationStatus.coding.where(system = 'http://terminology.hl7.org/CodeSystem/"
    "allergyintolerance-verification' and code = 'entered-in-error').empty() or "
    "clinicalStatus.empty()": _not_in_error(ALLERGY_VERIFICATION),
}
"""The functions by the R4 expression they answer for."""
