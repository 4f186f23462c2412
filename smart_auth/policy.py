"""The access policy of one token: which interactions on which resources its scopes grant.

https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html

Scopes are parsed once (``scopes.parse_scopes``) and turned into grants; grants add up (a
request is allowed when any grant allows it). What a grant allows on a type is a *restriction*,
a search expression (``resources.search.query``) that the store compiles into the SQL of a
search and that ``evaluate.satisfies`` tests on a single resource:

- ``None``: every resource of the type;
- ``NOTHING`` (an empty ``AnyOf``): none, so the interaction is refused with 403;
- otherwise the resources matching it: the launch patient's compartment for patient-level
  grants, and the v2 scope query (``?category=...``) when the scope has one.

Contexts (the decisions, documented once here):
- ``patient/`` scopes need the launch patient in the token; without one they grant nothing.
  They reach the resources of the Patient compartment (the official R4 CompartmentDefinition
  shipped in the search registry) that link to that patient, the patient's own ``Patient``
  resource (not other patients that link to it), and, for read and search only, the shared
  directory and definition types in ``SHARED_TYPES``. Every other type is out of reach.
- ``user/`` scopes reach what the user may see: a patient user (``fhirUser`` ``Patient/x``)
  exactly as ``patient/`` scopes for x; a practitioner (``Practitioner``/``PractitionerRole``)
  the whole type. A user scope without a ``fhirUser`` we can place grants nothing.
- ``system/`` scopes are for backend services and reach the whole type. A token that mixes
  them with ``patient/`` or ``user/`` scopes is refused outright (NV-0151): the backend services
  profile grants them to a client acting for no user, and a mixture has no defined meaning.
- A patient-level write must leave the resource in that patient's compartment and in no other
  patient's (every Patient reference through a compartment parameter names the patient).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from resources import error_codes
from resources.errors import FhirError, Forbidden
from resources.search.parse import CONTROLS, IGNORED, parse_search
from resources.search.query import AllOf, AnyOf, Expr, IdMatch, InCompartment
from resources.search.registry import SearchRegistry, default_registry
from smart_auth.context import AccessContext
from smart_auth.evaluate import Unevaluable, references_to, satisfies
from smart_auth.scopes import Interaction, ResourceScope, parse_scopes

Json = Mapping[str, Any]
Restriction = Expr | None

NOTHING: Expr = AnyOf(())
"""The restriction that matches no resource (false in SQL and in ``satisfies``)."""
WRITES: frozenset[Interaction] = frozenset({"c", "u", "d"})
INTERACTION_NAMES: dict[Interaction, str] = {
    "c": "create",
    "r": "read",
    "u": "update",
    "d": "delete",
    "s": "search",
}
PATIENT = "Patient"
PRACTITIONER_USERS = frozenset({"Practitioner", "PractitionerRole"})
SHARED_TYPES: frozenset[str] = frozenset(
    {
        "ActivityDefinition",
        "CapabilityStatement",
        "CodeSystem",
        "CompartmentDefinition",
        "ConceptMap",
        "HealthcareService",
        "ImplementationGuide",
        "Library",
        "Location",
        "Measure",
        "Medication",
        "MedicationKnowledge",
        "NamingSystem",
        "OperationDefinition",
        "Organization",
        "PlanDefinition",
        "Practitioner",
        "PractitionerRole",
        "Questionnaire",
        "SearchParameter",
        "StructureDefinition",
        "Substance",
        "ValueSet",
    }
)
"""Directory and definition types that hold no one patient's data: patient-level scopes may
read them (an app shows the practitioner or medication its patient's data points to), never
write them. Types that can hold patient data outside the compartment (Binary, Bundle, Task,
Device, ...) are not here, so patient-level scopes do not reach them at all."""
INSUFFICIENT_SCOPE = {"WWW-Authenticate": 'Bearer error="insufficient_scope"'}


@dataclass(frozen=True, slots=True)
class Grant:
    """One resource scope applied to the token: ``patient`` owns the compartment it is
    limited to, or None for the whole type."""

    scope: ResourceScope
    patient: str | None


def _user_patient(fhir_user: str | None) -> tuple[bool, str | None]:
    """(whether user scopes apply, the patient they are limited to) for a ``fhirUser``."""
    if not fhir_user:
        return False, None
    parts = fhir_user.rstrip("/").split("/")
    if len(parts) < 2 or not parts[-1]:
        return False, None
    type_, id_ = parts[-2], parts[-1]
    if type_ == PATIENT:
        return True, id_
    return type_ in PRACTITIONER_USERS, None


def grants_of(access: AccessContext, scopes: tuple[ResourceScope, ...]) -> tuple[Grant, ...]:
    """The grants the token's resource scopes give in its launch context."""
    applies, user_patient = _user_patient(access.fhir_user)
    grants: list[Grant] = []
    for scope in scopes:
        if scope.context == "system":
            grants.append(Grant(scope, None))
        elif scope.context == "patient" and access.patient:
            grants.append(Grant(scope, access.patient))
        elif scope.context == "user" and applies:
            grants.append(Grant(scope, user_patient))
    return tuple(grants)


def mixed_contexts(scopes: tuple[ResourceScope, ...]) -> str | None:
    """Why the scopes cannot be combined, or None when they can."""
    contexts = {scope.context for scope in scopes}
    if "system" in contexts and len(contexts) > 1:
        return "system/ scopes cannot be combined with patient/ or user/ scopes"
    return None


def compartment_restriction(
    registry: SearchRegistry, resource_type: str, patient: str, *, write: bool
) -> Restriction:
    """What a patient-level grant reaches of ``resource_type`` for ``patient``."""
    if resource_type == PATIENT:
        return IdMatch((patient,))
    codes = registry.compartment_params(PATIENT, resource_type)
    if codes:
        found = (registry.get(resource_type, code) for code in codes)
        params = tuple(param for param in found if param is not None)
        return InCompartment(PATIENT, patient, params)
    if resource_type in SHARED_TYPES and not write:
        return None
    return NOTHING


def _both(first: Restriction, second: Restriction) -> Restriction:
    if first is None:
        return second
    if second is None:
        return first
    return AllOf((first, second))


class AccessPolicy:
    """What one token may do; built once per token from its ``AccessContext``."""

    def __init__(self, access: AccessContext, registry: SearchRegistry | None = None) -> None:
        self.access = access
        self.registry = registry or default_registry()
        scopes = parse_scopes(access.scopes)
        self.problem = mixed_contexts(scopes)
        self.grants = () if self.problem else grants_of(access, scopes)
        self._restrictions: dict[tuple[Interaction, str], Restriction] = {}
        self._queries: dict[tuple[ResourceScope, str], Restriction] = {}

    def allows(self, interaction: Interaction, resource_type: str) -> bool:
        """Whether any resource of the type may be reached by ``interaction``."""
        return self.restriction(interaction, resource_type) != NOTHING

    def restriction(self, interaction: Interaction, resource_type: str) -> Restriction:
        """The resources of ``resource_type`` that ``interaction`` may reach (see module doc)."""
        key = (interaction, resource_type)
        if key not in self._restrictions:
            self._restrictions[key] = self._combine(interaction, resource_type)
        return self._restrictions[key]

    def require(self, interaction: Interaction, resource_type: str) -> Restriction:
        """``restriction``, or ``Forbidden`` (403) when the scopes grant none of the type."""
        found = self.restriction(interaction, resource_type)
        if found == NOTHING:
            raise self.forbidden(interaction, resource_type)
        return found

    def forbidden(self, interaction: Interaction, resource_type: str | None) -> Forbidden:
        """The 403 for a token whose scopes do not grant ``interaction`` on the type."""
        if self.problem:
            return Forbidden(
                self.problem, error_codes.SCOPE_MIXED_CONTEXT, headers=insufficient_scope_headers()
            )
        what = resource_type or "any resource type"
        message = f"The token's scopes do not grant {INTERACTION_NAMES[interaction]} on {what}"
        return Forbidden(
            message, error_codes.SCOPE_INSUFFICIENT, headers=insufficient_scope_headers()
        )

    def permits(self, interaction: Interaction, resource: Json) -> bool:
        """Whether ``interaction`` may reach (or, for a write, produce) this resource JSON."""
        resource_type = str(resource.get("resourceType"))
        for grant in self._grants_for(interaction, resource_type):
            restriction = self._grant_restriction(grant, interaction, resource_type)
            if restriction == NOTHING:
                continue
            try:
                if restriction is not None and not satisfies(restriction, resource, self.registry):
                    continue
                if interaction in WRITES and grant.patient and self._foreign(resource, grant):
                    continue
            except Unevaluable:
                continue
            return True
        return False

    def _grants_for(self, interaction: Interaction, resource_type: str) -> list[Grant]:
        return [
            grant
            for grant in self.grants
            if interaction in grant.scope.interactions and grant.scope.covers(resource_type)
        ]

    def _combine(self, interaction: Interaction, resource_type: str) -> Restriction:
        found: list[Expr] = []
        for grant in self._grants_for(interaction, resource_type):
            restriction = self._grant_restriction(grant, interaction, resource_type)
            if restriction is None:
                return None
            if restriction != NOTHING and restriction not in found:
                found.append(restriction)
        if not found:
            return NOTHING
        return found[0] if len(found) == 1 else AnyOf(tuple(found))

    def _grant_restriction(
        self, grant: Grant, interaction: Interaction, resource_type: str
    ) -> Restriction:
        compartment: Restriction = None
        if grant.patient is not None:
            write = interaction in WRITES
            compartment = compartment_restriction(
                self.registry, resource_type, grant.patient, write=write
            )
            if compartment == NOTHING:
                return NOTHING
        query = self._query(grant.scope, resource_type)
        if query == NOTHING:
            return NOTHING
        return _both(compartment, query)

    def _query(self, scope: ResourceScope, resource_type: str) -> Restriction:
        """The scope's v2 query as a restriction on ``resource_type``; ``NOTHING`` when it
        cannot be read for that type (a restriction we cannot apply must not widen access)."""
        if not scope.query:
            return None
        key = (scope, resource_type)
        if key not in self._queries:
            self._queries[key] = self._parse_query(scope.query, resource_type)
        return self._queries[key]

    def _parse_query(self, query: tuple[tuple[str, str], ...], resource_type: str) -> Restriction:
        if any(name.partition(":")[0] in CONTROLS | IGNORED for name, _ in query):
            return NOTHING
        try:
            parsed = parse_search((resource_type,), list(query), self.registry, strict=True)
        except FhirError:
            return NOTHING
        return parsed.where if parsed.where.items else NOTHING

    def _foreign(self, resource: Json, grant: Grant) -> bool:
        """Whether the resource would also sit in another patient's compartment."""
        resource_type = str(resource.get("resourceType"))
        codes = self.registry.compartment_params(PATIENT, resource_type)
        others = references_to(resource, codes, PATIENT, self.registry) - {grant.patient}
        if resource_type == PATIENT and resource.get("id") != grant.patient:
            return True
        return bool(others)


@functools.lru_cache(maxsize=512)
def policy_for(access: AccessContext, registry: SearchRegistry) -> AccessPolicy:
    """The policy of a token, built once per token and registry (a token is reused for many
    requests; a refreshed registry is a new object, so its policies are built afresh)."""
    return AccessPolicy(access, registry)


def insufficient_scope_headers() -> dict[str, str]:
    """The ``WWW-Authenticate`` header of a 403 for missing scope (RFC 6750, section 3.1)."""
    return dict(INSUFFICIENT_SCOPE)
