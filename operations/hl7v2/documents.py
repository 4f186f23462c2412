"""MDM (T01-T11) to DocumentReference: TXA describes the document, the OBX segments carry
its text (or, as ED, the encapsulated document).

https://build.fhir.org/ig/HL7/v2-to-fhir/ConceptMap-segment-txa-to-documentreference.html
"""

from __future__ import annotations

import base64
import binascii

from operations.hl7v2 import datatypes as dt
from operations.hl7v2.er7 import Segment
from operations.hl7v2.orders import order_requests, patient_context, person
from operations.hl7v2.plan import JSON, Plan
from operations.hl7v2.problems import Hl7Problem

# TXA-17 document completion status (table 0271)
_DOC_STATUS = {"AU": "final", "DO": "preliminary", "LA": "final", "DI": "preliminary",
               "IN": "preliminary", "IP": "preliminary", "PA": "preliminary"}  # fmt: skip
_CONTENT_TYPE = {"TX": "text/plain", "FT": "text/plain", "ST": "text/plain",
                 "CF": "text/plain", "AP": "application/pdf", "HT": "text/html"}  # fmt: skip
_TEXT_TYPES = frozenset({"TX", "FT", "ST", "CF", "TS", "NM", "CE", "CWE"})
_CANCELLED = frozenset({"T11"})


def _encapsulated(obx: Segment) -> JSON:
    """An ED (type^subtype^encoding^data) as an attachment; AE if data said to be base64
    is not (a placeholder instead of the document, say)."""
    ed = obx.first(5)
    subtype = ed[3].text.lower() or "octet-stream"
    attachment: JSON = {"contentType": f"{ed[2].text.lower() or 'application'}/{subtype}"}
    data = ed[5].text
    if data and ed[4].text.upper() == "BASE64":
        try:
            base64.b64decode(data, validate=True)
        except binascii.Error:
            raise Hl7Problem("OBX-5 encapsulated data is not valid base64", "OBX", 5, "AE",
                             "102", obx.index + 1) from None  # fmt: skip
        attachment["data"] = data
    elif data:
        attachment["data"] = _b64(data)
    return attachment


def _contents(txa: Segment, obx: list[Segment]) -> list[JSON]:
    """The document's content: the OBX text lines as one text attachment, and each
    encapsulated (ED) document as it was sent."""
    lines = [rep.text for seg in obx if seg.get(2).upper() in _TEXT_TYPES
             for rep in seg.reps(5)]  # fmt: skip
    text: JSON = {"contentType": _CONTENT_TYPE.get(txa.get(3).upper(), "text/plain")}
    if lines:
        text["data"] = _b64("\n".join(lines))
    attachments = [_encapsulated(seg) for seg in obx if seg.get(2).upper() == "ED"]
    if lines or not attachments:
        attachments.insert(0, text)
    title = txa.get(2, 2) or txa.get(2)
    created = dt.date_time(txa.get(6)) or dt.date_time(txa.get(4))
    for attachment in attachments:
        if title:
            attachment["title"] = title
        if created:
            attachment["creation"] = created
    return [{"attachment": a} for a in attachments]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _people(txa: Segment, resource: JSON) -> None:
    authors = [person(rep) for position in (5, 9) for rep in txa.reps(position) if person(rep)]
    if authors:
        resource["author"] = [{"display": a} for a in dict.fromkeys(authors)]
    authenticators = [person(rep) for rep in txa.reps(10) if person(rep)]
    if authenticators:
        resource["authenticator"] = {"display": authenticators[0]}


def map_mdm(plan: Plan) -> None:
    """MDM: the patient context, the orders it answers (ORC/OBR), then the document of TXA
    with its OBX content."""
    ctx, _ = patient_context(plan)
    message = plan.message
    txa = message.one("TXA")
    if txa is None:
        raise Hl7Problem("The message has no TXA segment", "TXA", 0, "AE", "100")
    doc_type = dt.concept(txa.first(2), "0270")
    if doc_type is None:
        raise Hl7Problem("TXA-2 document type is empty", "TXA", 2, "AE", "101", txa.index + 1)
    cancelled = message.trigger in _CANCELLED
    resource: JSON = {
        "resourceType": "DocumentReference",
        "status": "entered-in-error" if cancelled else "current",
        "type": doc_type,
        "subject": ctx["subject"],
        "content": _contents(txa, message.all("OBX")),
    }
    doc_status = _DOC_STATUS.get(txa.get(17).upper())
    if doc_status:
        resource["docStatus"] = doc_status
    number = txa.get(12) or txa.get(16) or txa.get(15) or message.control_id
    resource["masterIdentifier"] = {"system": plan.sender_system("document"), "value": number}
    context: JSON = {}
    related = order_requests(plan, ctx, results=False)  # the OBX are the document here
    if related:
        context["related"] = [{"reference": key} for key in related]
    if "encounter" in ctx:
        context["encounter"] = [ctx["encounter"]]
    start = dt.date_time(txa.get(4))
    if start:
        context["period"] = {"start": start}
    if context:
        resource["context"] = context
    _people(txa, resource)
    plan.put("DocumentReference", resource, "document", number)
