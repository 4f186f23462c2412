"""Telling the patient that their emergency information was read.

``PatientNotifier`` is the adapter interface for e-mail and SMS gateways: it gets the patient
id and the id of the ``Communication`` that records the notice, never the health data, so a
gateway message can only say "your emergency record was accessed; see your account".
``OutboxNotifier`` is the fake used until a gateway is configured (and by the tests): it
appends each notice as JSON to the Redis list ``nutrivision:notifications:outbox``.
"""

from __future__ import annotations

import json
from typing import Protocol

from fhir_server.auth.redis_state import Redis

OUTBOX = "nutrivision:notifications:outbox"


class PatientNotifier(Protocol):
    """Sends a notice to a patient by their preferred channels (e-mail, SMS)."""

    async def notify(self, patient_id: str, communication_id: str, kind: str) -> None:
        """Send the notice; ``kind`` names the template (``emergency-access``)."""


class OutboxNotifier:
    """The fake gateway: notices go to a Redis list that an operator or a test can read."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def notify(self, patient_id: str, communication_id: str, kind: str) -> None:
        """Append the notice to the outbox list."""
        notice = {
            "patient": patient_id,
            "communication": communication_id,
            "kind": kind,
            "channels": ["email", "sms"],
        }
        await self.redis.rpush(OUTBOX, json.dumps(notice))
