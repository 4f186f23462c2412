"""Writing a ``Plan`` in one store transaction.

Writes run in the plan's order; each placeholder is replaced by the reference of what was
written, so later resources point at the Patient actually found. Consecutive PUTs to their
ids of types the transaction writes together (``batches``: the audit trail takes them
together, the safety re-check checks each patient once after all its allergies and
medications) go in one ``create_many``, written before the next write of another kind;
their references are known ahead (``Type/id``). The Patient is found by a conditional
search on each of its identifiers (system = assigning authority); when none matches, a
conditional update on the first identifier creates it (the store serialises identical
conditions, so two messages for a new patient cannot create it twice).

A resource whose stored version already holds what the message says is not written again:
no new version, index rows, audit row or re-check, as HAPI FHIR skips an update with
identical content. Feeds resend the whole record (every A08 repeats the demographics and
every allergy, a resent ORU every result), so this is the common case. The current
versions of a run of PUTs are read in one search on their ids; the Patient is compared
with the one its identifier search found. The comparison reads the version the
transaction sees; a concurrent change committed after that read is as if it came after
this message, which then had nothing to change.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson

from operations.hl7v2.plan import JSON, Plan, Write
from operations.hl7v2.problems import Hl7Problem
from resources.bundle_references import rewrite
from resources.model import choice_groups, validation_issues
from resources.ports import NewResource, StoreTransaction
from resources.search.parse import parse_search
from resources.search.query import SearchQuery
from resources.search.registry import default_registry
from resources.stored import StoredVersion, WriteResult


def by_identifier(resource_type: str, system: str, value: str) -> SearchQuery:
    """``identifier=system|value`` (the separators in the value escaped)."""
    return by_identifiers(resource_type, [(system, value)])


def by_identifiers(resource_type: str, pairs: list[tuple[str, str]]) -> SearchQuery:
    """``identifier=s1|v1,s2|v2``: any of them, in one query."""
    token = ",".join(f"{_escape(system)}|{_escape(value)}" for system, value in pairs)
    return parse_search((resource_type,), [("identifier", token)], default_registry(), strict=True)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace(",", "\\,").replace("$", "\\$")


def checked(body: JSON) -> JSON:
    """``body`` if it is valid FHIR, else an ``AE`` (nothing of the message is written).

    The mapping builds every value from the message, so this holds the adapter to what the
    REST API lets in: a resource it cannot read back, export or import again is never stored.
    The message is kept with its error (the dead letters) to be replayed once mapped right.
    """
    issues = validation_issues(body)
    if issues:
        found = "; ".join(issue.diagnostics for issue in issues[:3])
        kind = body.get("resourceType")
        raise Hl7Problem(
            f"The {kind} this message maps to is not valid FHIR: {found}",
            "PID" if kind == "Patient" else "MSH", 0, "AE", "207",
        )  # fmt: skip
    return body


def _body(current: StoredVersion | None) -> JSON:
    if current is None or current.body is None or current.deleted:
        return {}
    body: JSON = orjson.loads(current.body)
    body.pop("meta", None)
    return body


def _merged_patient(current: JSON, incoming: JSON) -> JSON:
    """The incoming demographics over the stored ones; identifiers and links accumulate. A
    choice element the message gives replaces the stored one whatever its type (a date of
    death after a death flag: ``deceasedDateTime`` instead of ``deceasedBoolean``)."""
    merged = {**current, **incoming}
    for names in choice_groups("Patient"):
        if any(name in incoming for name in names):
            for name in names:
                if name not in incoming:
                    merged.pop(name, None)
    known = {(i.get("system"), i.get("value")) for i in incoming.get("identifier", [])}
    kept = [
        i for i in current.get("identifier", []) if (i.get("system"), i.get("value")) not in known
    ]
    merged["identifier"] = incoming.get("identifier", []) + kept
    if "link" in current:
        merged["link"] = current["link"]
    return merged


def _holding(found: list[StoredVersion], pairs: list[tuple[str, str]]) -> StoredVersion | None:
    """The live Patient holding the earliest identifier of ``pairs`` (PID-3 order)."""
    bodies = [(f, _body(f)) for f in found if not _replaced(f)]
    for pair in pairs:
        for version, body in bodies:
            held = {(i.get("system"), i.get("value")) for i in body.get("identifier", [])}
            if pair in held:
                return version
    return None


async def _patient(tx: StoreTransaction, write: Write, resource: JSON) -> str:
    found = await tx.match(by_identifiers("Patient", write.identifiers), 20)
    holder = _holding(found, write.identifiers)
    if holder is not None:
        target = holder.id
        if _unchanged(holder, {**_merged_patient(_body(holder), resource), "id": target}):
            return holder.reference

        def mutate(current: StoredVersion | None) -> dict[str, Any]:
            return checked({**_merged_patient(_body(current), resource), "id": target})

        result = await tx.update("Patient", target, mutate, None, "PUT")
        return result.stored.reference
    system, value = write.identifiers[0]
    condition = by_identifier("Patient", system, value)

    def create(current: StoredVersion | None) -> dict[str, Any]:
        return checked(_merged_patient(_body(current), resource))

    result = await tx.update_matching(condition, create, None, "PUT", None)
    return result.stored.reference


def _unchanged(current: StoredVersion | None, resource: JSON) -> bool:
    """``current`` is live and holds ``resource`` (meta aside): writing it adds nothing."""
    return current is not None and not current.deleted and _body(current) == resource


def _replaced(version: StoredVersion) -> bool:
    links = _body(version).get("link", [])
    return any(link.get("type") == "replaced-by" for link in links)


_COMPARTMENT = (
    "AllergyIntolerance", "Condition", "MedicationStatement", "MedicationRequest",
    "MedicationDispense", "MedicationAdministration", "Observation", "DiagnosticReport",
    "Encounter", "RelatedPerson", "Coverage", "NutritionIntake", "NutritionOrder",
    "Procedure", "Immunization", "CarePlan", "Goal",
)  # fmt: skip
"""What a merge moves to the survivor: above all the allergies, medications and logged
meals, which the safety checks read by patient and must not miss after a merge. Each moved
meal is checked with its foods against the survivor's allergies and medications."""
MOVE_LIMIT = 1000
"""Records moved per ``create_many``; a record with more is moved in several."""


async def _move_records(tx: StoreTransaction, retired: list[str], survivor: str) -> None:
    """Every record of the ``retired`` Patients rewritten to point at ``survivor``, written
    together: the safety re-check checks the survivor once, after all of them moved."""
    mapping = dict.fromkeys(retired, survivor)
    for query in _record_queries(",".join(retired)):
        await _move_matching(tx, query, mapping)


def _record_queries(patients: str) -> list[SearchQuery]:
    """``patient=`` over the compartment types, one search per definition of ``patient``
    (most share the clinical one; RelatedPerson and Coverage have their own)."""
    return [
        parse_search(types, [("patient", patients)], default_registry(), strict=True)
        for types in _compartment_groups()
    ]


@cache
def _compartment_groups() -> list[tuple[str, ...]]:
    by_definition: dict[str, list[str]] = {}
    for resource_type in _COMPARTMENT:
        single = parse_search((resource_type,), [("patient", "Patient/x")], default_registry())
        by_definition.setdefault(repr(single.where), []).append(resource_type)
    return [tuple(types) for types in by_definition.values()]


async def _move_matching(tx: StoreTransaction, query: SearchQuery, mapping: dict[str, str]) -> None:
    while found := await tx.match(query, MOVE_LIMIT):
        moves = [(v, rewrite(_body(v), mapping)) for v in found]
        moves = [(v, body) for v, body in moves if body != _body(v)]
        if not moves:
            return  # what still matches names the Patient in a form not rewritten
        batched = [tx.batches(v.resource_type) for v, _ in moves]
        for together in (True, False):  # a type no hook takes together is written alone
            run = [m for m, b in zip(moves, batched, strict=True) if b is together]
            if run:
                items = [
                    NewResource(v.resource_type, checked({**b, "id": v.id}), v.id, "PUT")
                    for v, b in run
                ]
                _unchanged_meanwhile([v for v, _ in run], await tx.create_many(items))
        if len(found) < MOVE_LIMIT:
            return


def _unchanged_meanwhile(read: list[StoredVersion], written: list[WriteResult]) -> None:
    """Each moved record got the version after the one read: a write of another
    transaction committed in between would be lost under the moved copy, so the merge is
    given up (rolled back) instead, and the message can be replayed."""
    for before, after in zip(read, written, strict=True):
        if after.stored.version != before.version + 1:
            raise Hl7Problem(
                f"{before.reference} changed while the merge moved it; nothing was merged",
                "MRG", 1, "AE", "206",
            )  # fmt: skip


def _key(identifier: JSON) -> tuple[str | None, str | None]:
    return identifier.get("system"), identifier.get("value")


def _retired(body: JSON, survivor: str) -> JSON:
    """The Patient replaced by ``survivor``; its identifiers all go to the survivor."""
    body.pop("identifier", None)
    body["active"] = False
    body["link"] = [{"other": {"reference": survivor}, "type": "replaced-by"}]
    return body


def _check_mergeable(found: StoredVersion, survivor: str) -> None:
    """A Patient already replaced by another than ``survivor`` is not merged again: its
    records are with that other Patient, and two survivors need a person to decide."""
    for link in _body(found).get("link", []):
        other = (link.get("other") or {}).get("reference")
        if link.get("type") == "replaced-by" and other != survivor:
            raise Hl7Problem(
                f"{found.reference} (MRG-1) was merged into {other} before", "MRG", 1, "AE", "204"
            )


async def _retire(tx: StoreTransaction, write: Write, survivor: str) -> None:
    """Each other Patient holding the prior identifiers: replaced by the survivor, which
    gets their records, all moved in one batch of writes after the Patients are retired."""
    moved = set(write.identifiers)  # the plan gave MRG-1's identifiers to the survivor
    retired: list[str] = []
    carried: list[JSON] = []
    for found in await tx.match(by_identifiers("Patient", write.identifiers), 20):
        if found.reference == survivor:
            continue
        _check_mergeable(found, survivor)
        # identifiers beyond MRG-1's (those of a patient merged into this one before) move
        # too: a search on any of them must find the survivor, not a replaced Patient
        carried += [
            {**i, "use": "old"} for i in _body(found).get("identifier", []) if _key(i) not in moved
        ]

        def mutate(current: StoredVersion | None) -> dict[str, Any]:
            return checked(_retired(_body(current), survivor))

        await tx.update("Patient", found.id, mutate, None, "PUT")
        retired.append(found.reference)
    if carried:
        await _carry_identifiers(tx, survivor, carried)
    if retired:
        await _move_records(tx, retired, survivor)


async def _carry_identifiers(tx: StoreTransaction, survivor: str, carried: list[JSON]) -> None:
    """The retired Patients' other identifiers added to the survivor (use old)."""

    def mutate(current: StoredVersion | None) -> dict[str, Any]:
        body = _body(current)
        held = {_key(i) for i in body.get("identifier", [])}
        new = {_key(i): i for i in carried if _key(i) not in held}
        body["identifier"] = [*body.get("identifier", []), *new.values()]
        return checked(body)

    await tx.update("Patient", survivor.split("/")[1], mutate, None, "PUT")


async def _put(tx: StoreTransaction, write: Write, resource: JSON) -> str:
    id_ = write.id or ""
    body = {**resource, "id": id_}
    current = await tx.read(write.resource_type, id_)
    if current is not None and _unchanged(current, body):
        return current.reference
    checked(body)  # only what is written: a resend that changes nothing is the usual case
    result = await tx.update(write.resource_type, id_, lambda _current: body, None, "PUT")
    return result.stored.reference


def _batched(tx: StoreTransaction, write: Write) -> bool:
    return write.action == "put" and bool(write.id) and tx.batches(write.resource_type)


async def _flush(tx: StoreTransaction, pending: list[NewResource]) -> None:
    if pending:
        changed = await _changed(tx, pending)
        for item in changed:  # only what is written, as in ``_put``
            checked(item.body)
        if changed:
            await tx.create_many(changed)
        pending.clear()


async def _changed(tx: StoreTransaction, pending: list[NewResource]) -> list[NewResource]:
    """The PUTs whose stored version (read for all of them in one search on their ids) does
    not already hold what they would write."""
    types = tuple(dict.fromkeys(item.resource_type for item in pending))
    ids = ",".join(_escape(item.id_ or "") for item in pending)
    query = parse_search(types, [("_id", ids)], default_registry(), strict=True)
    stored = {(v.resource_type, v.id): v for v in await tx.match(query, len(pending))}
    return [
        item
        for item in pending
        if not _unchanged(stored.get((item.resource_type, item.id_ or "")), item.body)
    ]


async def apply_plan(tx: StoreTransaction, plan: Plan) -> list[str]:
    """Write every resource of ``plan`` on ``tx``; returns the references written."""
    mapping: dict[str, str] = {}
    written: list[str] = []
    pending: list[NewResource] = []
    for write in plan.writes:
        resource: JSON = rewrite(write.resource, mapping)
        if _batched(tx, write):
            id_ = str(write.id)
            pending.append(NewResource(write.resource_type, {**resource, "id": id_}, id_, "PUT"))
            reference = f"{write.resource_type}/{id_}"
        else:
            await _flush(tx, pending)
            if write.action == "patient":
                reference = await _patient(tx, write, resource)
            elif write.action == "retire":
                await _retire(tx, write, mapping.get(write.key, write.key))
                continue
            else:
                reference = await _put(tx, write, resource)
        mapping[write.key] = reference
        written.append(reference)
    await _flush(tx, pending)
    return written
