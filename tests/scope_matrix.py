"""The scope-enforcement matrix: tokens x interactions x targets -> expected outcome.

One table for every layer that enforces scopes: the store-level test builds the policy store
from these ``AccessContext`` values directly; an HTTP run sends the same interactions with real
tokens carrying the same scopes and launch context, and maps ``A`` to 2xx, ``H`` to 404 (or,
for searches and history, the target absent from the Bundle) and ``D`` to 403 with
``WWW-Authenticate: Bearer error="insufficient_scope"``.

Targets (all Observations): ``own`` a laboratory result of the launch patient, ``vital`` a
vital-signs result of the launch patient, ``other`` a laboratory result of another patient.
Outcomes per target, in that order: ``A`` allowed, ``H`` hidden exactly as if absent, ``D``
refused with 403.

``BULK_INTERACTIONS`` are only run over HTTP (they are operations and jobs, not store calls):
``everything`` reads ``Patient/[subject of the target]/$everything``; ``export`` runs a whole
``Patient/$export`` (kick-off, polling, download) whose ``_typeFilter`` names the target and
both patients, and finds the target in the NDJSON files or not.
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
LAB = f"{CATEGORY}|laboratory"
TARGETS = ("own", "vital", "other")
INTERACTIONS = (
    "read",  # GET Observation/[id]
    "vread",  # GET Observation/[id]/_history/1
    "search",  # GET Observation?_id=[id]&_total=accurate
    "include",  # GET Observation?_id=[id]&_include=Observation:subject&_include=...:performer
    "revinclude",  # GET Patient?_id=[subject]&_revinclude=Observation:subject
    "history",  # GET Observation/[id]/_history
    "type_history",  # GET Observation/_history?_since=[start]
    "create",  # POST Observation: a copy of the target (same subject and category)
    "update",  # PUT Observation/[id]: the target with a note added
    "patch",  # PATCH Observation/[id]: add a note
    "delete",  # DELETE Observation/[id] of a fresh copy of the target
    "transaction",  # POST a transaction Bundle: read the target, create a copy
)


@dataclass(frozen=True)
class Token:
    """A token's grant: its scopes and launch context (``ME`` is the launch patient)."""

    scopes: tuple[str, ...]
    patient: bool = False
    fhir_user: str | None = None
    expected: tuple[tuple[str, str], ...] = ()

    def outcome(self, interaction: str, target: str) -> str:
        """The expected outcome letter of ``interaction`` on ``target``."""
        return dict(self.expected)[interaction][TARGETS.index(target)]


def _rows(reads: str, writes: str, patch_delete: str) -> tuple[tuple[str, str], ...]:
    read_rows = ("read", "vread", "search", "include", "revinclude", "history", "type_history")
    return (
        *((name, reads) for name in read_rows),
        ("create", writes),
        ("update", writes),
        ("patch", patch_delete),
        ("delete", patch_delete),
        ("transaction", writes),
    )


TOKENS: dict[str, Token] = {
    "patient_v1": Token(
        ("launch/patient", "openid", "fhirUser", "patient/*.read", "patient/*.write"),
        patient=True,
        expected=_rows(reads="AAH", writes="AAD", patch_delete="AAH"),
    ),
    "patient_v2_lab": Token(
        ("launch/patient", "patient/Patient.rs", f"patient/Observation.cruds?category={LAB}"),
        patient=True,
        expected=_rows(reads="AHH", writes="ADD", patch_delete="AHH"),
    ),
    "user": Token(
        ("openid", "fhirUser", "user/*.cruds"),
        fhir_user="Practitioner/{doc}",
        expected=_rows(reads="AAA", writes="AAA", patch_delete="AAA"),
    ),
    "system": Token(("system/*.*",), expected=_rows(reads="AAA", writes="AAA", patch_delete="AAA")),
    "read_only": Token(
        ("openid", "fhirUser", "user/*.rs"),
        fhir_user="Practitioner/{doc}",
        expected=_rows(reads="AAA", writes="DDD", patch_delete="DDD"),
    ),
}
BULK_INTERACTIONS = (
    "everything",  # GET Patient/[subject]/$everything
    "export",  # Patient/$export?_type=Observation,Patient&_typeFilter=...: poll, download
)
BULK_EXPECTED: dict[str, dict[str, str]] = {
    "patient_v1": {"everything": "AAH", "export": "AAH"},
    "patient_v2_lab": {"everything": "AHH", "export": "AHH"},
    "user": {"everything": "AAA", "export": "AAA"},
    "system": {"everything": "AAA", "export": "AAA"},
    "read_only": {"everything": "AAA", "export": "AAA"},
}
"""The bulk interactions' expected outcomes per token (targets in ``TARGETS`` order)."""


def expected(token: str, interaction: str, target: str) -> str:
    """The expected outcome letter of any matrix interaction, bulk ones included."""
    bulk = BULK_EXPECTED[token]
    if interaction in bulk:
        return bulk[interaction][TARGETS.index(target)]
    return TOKENS[token].outcome(interaction, target)


HIDDEN: dict[str, frozenset[str]] = {
    "patient_v1": frozenset({"other", "other_patient"}),
    "patient_v2_lab": frozenset({"vital", "other", "other_patient", "doc"}),
    "user": frozenset(),
    "system": frozenset(),
    "read_only": frozenset(),
}
"""Per token, the fixture resources that must never appear in any answer."""

CASES = [
    (token, interaction, target)
    for token in TOKENS
    for interaction in INTERACTIONS
    for target in TARGETS
]
HTTP_CASES = CASES + [
    (token, interaction, target)
    for token in TOKENS
    for interaction in BULK_INTERACTIONS
    for target in TARGETS
]
"""The matrix over HTTP: every interaction of ``CASES`` plus the bulk ones."""
