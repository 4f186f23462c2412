"""Who is calling: the claims of a verified access token, as the rest of the server sees them.

https://hl7.org/fhir/smart-app-launch/app-launch.html#response-5
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AccessContext:
    """A verified access token's grant: the client, its scopes and its launch context.

    The HTTP layer puts one on each authenticated request; the access policy is built from it.
    """

    client_id: str
    scopes: tuple[str, ...]
    subject: str | None = None
    """The user (``sub``), None for a backend service."""
    fhir_user: str | None = None
    """``Patient/1``, ``Practitioner/7``: the user's own FHIR resource."""
    patient: str | None = None
    """The launch patient's id (patient scopes read only this patient's compartment)."""
    encounter: str | None = None
    token_id: str | None = None
    """The token's ``jti``, for the audit trail and revocation."""
