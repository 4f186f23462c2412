"""``$process-hl7v2``: receive one HL7 v2 message over HTTP, as the MLLP listener does.

https://build.fhir.org/ig/HL7/v2-to-fhir/ (the mapping); the operation follows
https://hl7.org/fhir/R4/messageheader-operation-process-message.html in spirit, but takes the
v2 message itself (``Content-Type: x-application/hl7-v2+er7``) and answers a Parameters
with the ACK (``ack``, ``code``) and the resources written (``reference``). The message goes
through the same durable inbox as MLLP: stored before it is answered, processed once per
sending facility and MSH-10, failures kept as dead letters.
"""

from __future__ import annotations

from typing import Any, Protocol

from operations.base import OperationContext, OperationResult, parameters_resource
from operations.hl7v2.messages import MEDIA_TYPE
from operations.parameters import Parameters
from resources import error_codes
from resources.errors import Invalid, Issue, ServiceUnavailable, operation_outcome
from resources.ports import ResourceStore

SERVICE = "hl7v2"
RAW_MEDIA_TYPES = (MEDIA_TYPE, "application/hl7-v2", "text/plain")

DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "process-hl7v2",
    "url": "urn:nutrivision:OperationDefinition/process-hl7v2",
    "name": "ProcessHl7v2",
    "status": "active",
    "kind": "operation",
    "code": "process-hl7v2",
    "system": True,
    "type": False,
    "instance": False,
    "affectsState": True,
    "parameter": [
        {"name": "ack", "use": "out", "min": 1, "max": "1", "type": "string"},
        {"name": "code", "use": "out", "min": 1, "max": "1", "type": "code"},
        {"name": "duplicate", "use": "out", "min": 1, "max": "1", "type": "boolean"},
        {"name": "reference", "use": "out", "min": 0, "max": "*", "type": "Reference"},
        {"name": "outcome", "use": "out", "min": 0, "max": "1", "type": "OperationOutcome"},
    ],
}

_STATUS = {"AA": 200, "CA": 200, "AE": 422, "CE": 422, "AR": 400, "CR": 400}
_PROBLEMS = {
    "AE": ("processing", error_codes.HL7_MESSAGE_FAILED),
    "CE": ("processing", error_codes.HL7_MESSAGE_FAILED),
    "AR": ("invalid", error_codes.HL7_MESSAGE_REFUSED),
    "CR": ("invalid", error_codes.HL7_MESSAGE_REFUSED),
}


class Received(Protocol):
    """What the inbox answers for one message."""

    ack: str
    code: str
    written: list[str]
    duplicate: bool


class Receiver(Protocol):
    """The inbox flow the composition root offers as the ``hl7v2`` service."""

    async def receive(
        self, raw: bytes | str, peer: str = "", store: ResourceStore | None = None
    ) -> Received:
        """Store, process and acknowledge one message, writing through ``store``."""


def _outcome(outcome: Received) -> dict[str, Any]:
    """The ACK's MSA-3/ERR text as an OperationOutcome with our error code."""
    kind, code = _PROBLEMS[outcome.code]
    lines = [line for line in outcome.ack.split("\r") if line.startswith(("MSA", "ERR"))]
    return operation_outcome([Issue("error", kind, " / ".join(lines), (), code)])


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """Receive the message in the body; the HTTP status follows the ACK code."""
    if not ctx.body.strip():
        raise Invalid(
            f"Send the HL7 v2 message as the body ({MEDIA_TYPE})", error_codes.HL7_NO_MESSAGE
        )
    receiver: Receiver | None = ctx.services.get(SERVICE)
    if receiver is None:
        raise ServiceUnavailable("HL7 v2 processing is not running", error_codes.HL7_UNAVAILABLE)
    # the caller's view of the store: its authorization applies to what the message writes
    outcome = await receiver.receive(ctx.body, "http", ctx.store)
    parameters: list[dict[str, Any]] = [
        {"name": "ack", "valueString": outcome.ack},
        {"name": "code", "valueCode": outcome.code},
        {"name": "duplicate", "valueBoolean": outcome.duplicate},
        *({"name": "reference", "valueReference": {"reference": r}} for r in outcome.written),
    ]
    if outcome.code in _PROBLEMS:
        parameters.append({"name": "outcome", "resource": _outcome(outcome)})
    return OperationResult(parameters_resource(parameters), status=_STATUS.get(outcome.code, 200))
