"""Scopes of bulk work: what a ``$export`` or ``$import`` may cover, and who may see its job.

https://hl7.org/fhir/uv/bulkdata/STU2/export.html#bulk-data-kick-off-request and
https://hl7.org/fhir/smart-app-launch/backend-services.html

A bulk job runs after its request has been answered, so the kick-off's grant is recorded in
the job (``grant_params``) and the job rebuilds the same ``AccessPolicy`` from it
(``grant_from_params`` and ``policy.policy_for``). The decisions, documented in
``docs/scopes.md``:

- ``$export`` covers a type only when the token may both read and search it (``system/*.rs``,
  ``user/Observation.read``, ...); the resources written are those both restrictions reach.
  A ``_type`` naming a type outside the scopes is refused at kick-off (403); without
  ``_type`` the export covers the granted types, and a token granting none gets 403.
  Patient-level scopes may export too: only the launch patient's compartment (and the shared
  directory types) is written, as a search with the same token would return.
- ``$import`` needs a write scope for each type it loads: ``u`` for a line with an id (it is
  loaded as a PUT), ``c`` for one without; lines of other types are refused one by one.
- Only the grant that started a job sees it: the same client, user, patient and ``fhirUser``.
  A public patient app shares one client id among all its patients, so the client alone
  would let one patient download another's export.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from resources import error_codes
from resources.errors import Forbidden
from resources.search.query import AllOf, Expr
from smart_auth.context import AccessContext
from smart_auth.policy import NOTHING, AccessPolicy, Restriction, insufficient_scope_headers
from smart_auth.scopes import Interaction

OWNER_FIELDS = ("client_id", "subject", "fhir_user", "patient")
"""What must match between the grant that started a job and one that asks about it."""
WRITE_BY_METHOD: dict[str, Interaction] = {"PUT": "u", "POST": "c"}


def grant_params(access: AccessContext | None) -> dict[str, Any] | None:
    """The grant as JSON for a job's parameters (None when auth is off)."""
    if access is None:
        return None
    return {
        "client_id": access.client_id,
        "scopes": list(access.scopes),
        "subject": access.subject,
        "fhir_user": access.fhir_user,
        "patient": access.patient,
        "encounter": access.encounter,
        "token_id": access.token_id,
    }


def grant_from_params(recorded: Mapping[str, Any] | None) -> AccessContext | None:
    """The grant a job was started with (None: started with auth off)."""
    if not recorded:
        return None
    return AccessContext(
        client_id=str(recorded["client_id"]),
        scopes=tuple(str(s) for s in recorded.get("scopes") or ()),
        subject=recorded.get("subject"),
        fhir_user=recorded.get("fhir_user"),
        patient=recorded.get("patient"),
        encounter=recorded.get("encounter"),
        token_id=recorded.get("token_id"),
    )


def same_owner(recorded: Mapping[str, Any] | None, access: AccessContext | None) -> bool:
    """Whether ``access`` is the grant that started the job (both absent: auth was off)."""
    if recorded is None or access is None:
        return recorded is None and access is None
    asking = grant_params(access) or {}
    return all(recorded.get(name) == asking.get(name) for name in OWNER_FIELDS)


def _refused(message: str, code: str) -> Forbidden:
    return Forbidden(message, code, headers=insufficient_scope_headers())


def export_restriction(policy: AccessPolicy, resource_type: str) -> Restriction:
    """What an export may write of ``resource_type``: what the token may read and search."""
    read, search = policy.restriction("r", resource_type), policy.restriction("s", resource_type)
    if NOTHING in (read, search):
        return NOTHING
    if read is None or read == search:
        return search
    if search is None:
        return read
    both: Expr = AllOf((read, search))
    return both


def export_types(
    policy: AccessPolicy, named: Iterable[str], candidates: Iterable[str]
) -> list[str]:
    """The types an export covers: the ``named`` ones (403 if any is out of scope), else the
    granted ``candidates`` (403 if none is)."""
    if policy.problem:
        raise policy.forbidden("s", None)
    wanted = list(named)
    for resource_type in wanted:
        if export_restriction(policy, resource_type) == NOTHING:
            message = f"The token's scopes do not grant read and search on {resource_type}"
            raise _refused(message, error_codes.BULK_EXPORT_SCOPE)
    if wanted:
        return wanted
    granted = [t for t in candidates if export_restriction(policy, t) != NOTHING]
    if not granted:
        message = "The token's scopes grant read and search on no type this export covers"
        raise _refused(message, error_codes.BULK_EXPORT_SCOPE)
    return granted


def may_import(policy: AccessPolicy, resource_type: str) -> bool:
    """Whether the token may load some lines of ``resource_type`` (create or update)."""
    return policy.allows("c", resource_type) or policy.allows("u", resource_type)


def require_import(
    policy: AccessPolicy, declared: Iterable[str | None], served: Iterable[str]
) -> None:
    """403 unless the token may write each declared type (or, for inputs that declare none,
    at least one type): checked at kick-off, before any line is read."""
    if policy.problem:
        raise policy.forbidden("c", None)
    for resource_type in declared:
        if resource_type is None:
            if not any(may_import(policy, t) for t in served):
                message = "The token's scopes grant create or update on no resource type"
                raise _refused(message, error_codes.BULK_IMPORT_SCOPE)
        elif not may_import(policy, resource_type):
            message = f"The token's scopes do not grant create or update on {resource_type}"
            raise _refused(message, error_codes.BULK_IMPORT_SCOPE)


def line_refusal(policy: AccessPolicy, resource_type: str, method: str) -> Forbidden | None:
    """Why one line (loaded by ``method``, PUT or POST) is refused, or None when its type is
    granted for that write (the store still judges the resource itself)."""
    interaction = WRITE_BY_METHOD[method]
    if policy.allows(interaction, resource_type):
        return None
    what = "update" if interaction == "u" else "create"
    message = f"The token's scopes do not grant {what} on {resource_type}"
    return _refused(message, error_codes.BULK_IMPORT_LINE_SCOPE)
