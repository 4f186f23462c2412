"""Who may read the audit trail: a scope that names ``AuditEvent`` itself.

``system/AuditEvent.rs`` (a backend service) or ``user/AuditEvent.rs`` held by a practitioner
(``fhirUser`` ``Practitioner/...`` or ``PractitionerRole/...``); v1 ``.read`` works too. A
wildcard (``system/*.rs``) does not reach the audit trail, and no patient-level token or
patient user ever does: an auditor role is granted on purpose, never as a side effect.
"""

from __future__ import annotations

from smart_auth.context import AccessContext
from smart_auth.scopes import Interaction, parse_scopes

AUDIT_TYPE = "AuditEvent"
PRACTITIONER_USERS = ("Practitioner/", "PractitionerRole/")
EMERGENCY_SCOPE = "system/emergency-info"


def _practitioner(fhir_user: str | None) -> bool:
    if not fhir_user:
        return False
    tail = "/".join(fhir_user.rstrip("/").split("/")[-2:]) + "/"
    return tail.startswith(PRACTITIONER_USERS)


def may_read_audit(access: AccessContext | None, interaction: Interaction) -> bool:
    """Whether the token may read (``r``) or search (``s``) AuditEvents; auth off: yes."""
    if access is None:
        return True
    for scope in parse_scopes(access.scopes):
        if scope.resource_type != AUDIT_TYPE or interaction not in scope.interactions:
            continue
        if scope.context == "system" and not scope.query:
            return True
        if scope.context == "user" and not scope.query and _practitioner(access.fhir_user):
            return True
    return False


def is_emergency(access: AccessContext | None) -> bool:
    """Whether the token is a break-glass emergency token."""
    return access is not None and EMERGENCY_SCOPE in access.scopes
