"""One HL7 v2 message to a ``Plan``: the mapped resources, a MessageHeader and a Provenance.

https://build.fhir.org/ig/HL7/v2-to-fhir/ConceptMap-segment-msh-to-messageheader.html
"""

from __future__ import annotations

import re
from collections.abc import Callable

from operations.hl7v2 import datatypes as dt
from operations.hl7v2.adt import map_adt
from operations.hl7v2.documents import map_mdm
from operations.hl7v2.er7 import Message
from operations.hl7v2.immunization import map_vxu
from operations.hl7v2.orders import map_order
from operations.hl7v2.oru import map_oru
from operations.hl7v2.pharmacy import map_pharmacy
from operations.hl7v2.plan import JSON, Plan
from operations.hl7v2.problems import Hl7Problem
from operations.hl7v2.scheduling import map_siu

MEDIA_TYPE = "x-application/hl7-v2+er7"
MESSAGE_SYSTEM = "urn:nutrivision:hl7v2:message"
_MAPPERS: dict[str, Callable[[Plan], None]] = {
    "ADT": map_adt,
    "BAR": map_adt,
    "DFT": map_adt,
    "ORU": map_oru,
    "RDE": map_pharmacy,
    "RAS": map_pharmacy,
    "RDS": map_pharmacy,
    "ORM": map_order,
    "OML": map_order,
    "VXU": map_vxu,
    "MDM": map_mdm,
    "SIU": map_siu,
}
SUPPORTED = frozenset(_MAPPERS)


def sender_of(message: Message) -> str:
    """The sending facility (MSH-4), else application (MSH-3), as a URI-safe name."""
    msh = message.msh
    name = msh.get(4) or msh.get(4, 2) or msh.get(3) or "unknown"
    return re.sub(r"[^A-Za-z0-9._-]", "-", name)


def _header(plan: Plan, focus: list[str]) -> JSON:
    msh = plan.message.msh
    source: JSON = {"endpoint": f"urn:nutrivision:hl7v2:{plan.sender}"}
    if msh.get(3):
        source["name"] = msh.get(3)
    resource: JSON = {
        "resourceType": "MessageHeader",
        "eventCoding": {"system": dt.V2_TABLE + "0003", "code": plan.message.trigger},
        "source": source,
        "focus": [{"reference": f} for f in focus],
    }
    if msh.get(5) or msh.get(6):
        resource["destination"] = [
            {"name": msh.get(5) or msh.get(6), "endpoint": f"urn:nutrivision:hl7v2:{msh.get(6)}"}
        ]
    return resource


def _provenance(plan: Plan, targets: list[str], header: str, received: str) -> JSON:
    message = plan.message
    label = f"{message.message_code}^{message.trigger} {message.control_id}"
    return {
        "resourceType": "Provenance",
        "target": [{"reference": t} for t in [*targets, header]],
        "recorded": received,
        "activity": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
                    "code": "UPDATE",
                }
            ]
        },
        "agent": [{"who": {"display": f"{message.msh.get(3)}@{plan.sender}"}}],
        "entity": [
            {
                "role": "source",
                "what": {
                    "identifier": {
                        "system": MESSAGE_SYSTEM,
                        "value": f"{plan.sender}|{message.control_id}",
                    },
                    "display": f"HL7 v2.{message.version.removeprefix('2.')} {label}",
                },
            }
        ],
    }


def check_supported(message: Message) -> None:
    """``Hl7Problem`` (AR, condition 200) for a message type we do not map."""
    if message.message_code not in _MAPPERS:
        raise Hl7Problem(
            f"Message type {message.message_code}^{message.trigger} is not supported",
            "MSH",
            9,
            "AR",
            "200",
        )


def plan_message(message: Message, received: str) -> Plan:
    """Map ``message``; ``Hl7Problem`` (AR) for a type we do not take, (AE) for content we
    cannot map. ``received`` is when the message arrived (the Provenance's ``recorded``)."""
    check_supported(message)
    plan = Plan(message, sender_of(message))
    token = dt.SENDER_ZONE.set(dt.zone_of(message.msh.get(7)))
    try:
        _MAPPERS[message.message_code](plan)
    finally:
        dt.SENDER_ZONE.reset(token)
    focus = [w.key for w in plan.writes if w.action != "retire"]
    header = plan.put("MessageHeader", _header(plan, focus), "message", message.control_id)
    provenance = _provenance(plan, focus, header, received)
    plan.put("Provenance", provenance, "message", message.control_id)
    return plan
