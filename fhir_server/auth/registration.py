"""Patient self-registration: a Patient and the person's Consents in one transaction, then
the account linked to that Patient (user name: the e-mail address); optional TOTP enrolment
that becomes active only once a first code from the app is verified."""

from __future__ import annotations

from typing import Any

import pyotp
from sqlalchemy.ext.asyncio import AsyncEngine

from fhir_server.auth import redis_state
from fhir_server.auth.redis_state import Redis
from fhir_server.auth.users import User, create_user, find_for_login, set_totp_secret
from resources.identity import instant, now
from resources.ports import ResourceStore
from smart_auth.credentials import digest, random_token, recovery_codes
from smart_auth.registration import (
    HEALTH_DATA,
    PRIVACY,
    Registration,
    consent_resource,
    patient_resource,
)

ENROL_KIND = "totp-enrol"
ENROL_TTL_S = 15 * 60
TOTP_ISSUER = "Nutri-Vision"


async def username_taken(engine: AsyncEngine, username: str) -> bool:
    """Whether an account has that user name."""
    async with engine.connect() as conn:
        return await find_for_login(conn, username) is not None


async def register(
    engine: AsyncEngine, store: ResourceStore, form: Registration, password_hash: str, policy: str
) -> User:
    """Create the Patient, its Consents and the account; the new account."""
    when = instant(now())
    async with store.transaction() as tx:
        patient = await tx.create("Patient", patient_resource(form), None)
        patient_id = patient.stored.id
        for kind in (HEALTH_DATA, PRIVACY):
            await tx.create("Consent", consent_resource(kind, patient_id, when, policy), None)
    async with engine.begin() as conn:
        username = form.email.strip().lower()
        return await create_user(conn, username, password_hash, "patient", f"Patient/{patient_id}")


async def start_enrolment(redis: Redis, user: User) -> tuple[str, str]:
    """A pending TOTP secret for the account: (enrolment token, secret)."""
    token, secret = random_token(), pyotp.random_base32()
    record = {"username": user.username, "user_id": user.user_id, "secret": secret}
    await redis_state.put_json(redis, ENROL_KIND, digest(token), record, ENROL_TTL_S)
    return token, secret


async def pending_enrolment(redis: Redis, token: str) -> dict[str, Any] | None:
    """The pending enrolment of a token, or None."""
    record = await redis_state.get_json(redis, ENROL_KIND, digest(token)) if token else None
    return record if isinstance(record, dict) else None


async def finish_enrolment(
    engine: AsyncEngine, redis: Redis, token: str, record: dict[str, Any]
) -> list[str]:
    """Make the verified secret the account's second factor; its new recovery codes."""
    codes = recovery_codes()
    async with engine.begin() as conn:
        digests = tuple(digest(code) for code in codes)
        await set_totp_secret(conn, record["username"], record["secret"], digests)
    await redis_state.delete(redis, ENROL_KIND, digest(token))
    return codes


def provisioning_uri(username: str, secret: str) -> str:
    """The otpauth URI an authenticator app reads."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)
