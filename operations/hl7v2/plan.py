"""What one message turns into: resources to write in one transaction, in dependency order.

Each resource but the Patient gets an id derived from its natural key (the sender and the
order, visit or result it records), so a corrected or repeated result updates the resource
it corrects instead of adding one. The Patient is found by identifier and assigning
authority, never by name: identifiers are shared by every sender, ids are not.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from operations.hl7v2.er7 import Message

JSON = dict[str, Any]
Action = Literal["put", "patient", "retire"]
_NAMESPACE = uuid.UUID("5b4b4e0e-8c52-4c57-9f0e-6b1d3a0c7e21")


def stable_id(*parts: str) -> str:
    """A resource id from a natural key (UUID v5, so every process derives the same one)."""
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


@dataclass
class Write:
    """One resource to write. ``key`` is the ``urn:uuid:`` placeholder other resources of
    the plan use to reference it; ``identifiers`` find an existing Patient (``patient``)
    or the Patients a merge retires (``retire``)."""

    action: Action
    resource_type: str
    resource: JSON
    key: str
    identifiers: list[tuple[str, str]] = field(default_factory=list)
    id: str | None = None


@dataclass
class Plan:
    """The writes of one message, and the facts the MessageHeader and Provenance record."""

    message: Message
    sender: str
    writes: list[Write] = field(default_factory=list)

    def put(self, resource_type: str, resource: JSON, *natural_key: str) -> str:
        """Add a resource with an id from ``natural_key``; returns its placeholder."""
        id_ = stable_id(resource_type, self.sender, *natural_key)
        key = f"urn:uuid:{id_}"
        for existing in self.writes:
            if existing.key == key:  # the same thing twice in one message: the last wins
                existing.resource = resource
                return key
        self.writes.append(Write("put", resource_type, resource, key, id=id_))
        return key

    def patient(self, resource: JSON, identifiers: list[tuple[str, str]]) -> str:
        """Add the Patient, found by any of ``identifiers`` or created."""
        key = f"urn:uuid:{uuid.uuid4()}"
        self.writes.append(Write("patient", "Patient", resource, key, identifiers))
        return key

    def retire(self, identifiers: list[tuple[str, str]], survivor: str) -> None:
        """Mark the Patients holding ``identifiers`` replaced by ``survivor`` (a merge)."""
        resource: JSON = {"link": [{"other": {"reference": survivor}, "type": "replaced-by"}]}
        self.writes.append(Write("retire", "Patient", resource, survivor, identifiers))

    def patient_key(self) -> str:
        """The message's patient as a stable text (its first identifier)."""
        for write in self.writes:
            if write.action == "patient":
                return "|".join(write.identifiers[0])
        return self.message.control_id

    def sender_system(self, kind: str) -> str:
        """A URI for identifiers the sender assigns without naming an authority."""
        return f"urn:nutrivision:hl7v2:{self.sender}:{kind}"
