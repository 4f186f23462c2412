"""``POST [base]`` with a transaction or batch Bundle.

https://hl7.org/fhir/R4/http.html#transaction

A transaction runs in one database transaction (``store.transaction()``): DELETEs, then
POSTs, then PUTs and PATCHes, then GETs and HEADs, answered in the Bundle's order. Before
any write, each POST (and each PUT) gets its id, so ``urn:uuid:``/``urn:oid:`` fullUrls map to
``Type/id`` and every ``reference`` naming them is rewritten; conditional references
(``Patient?identifier=a|b``) are searched, and anything but one match is 412. Any error
rolls everything back and is answered as an OperationOutcome naming the entry.
Runs of unconditional POSTs and of PUTs to an id are written together (``create_many``),
each run before the entry that ends it, so every entry still sees the writes before it.

A batch answers each entry on its own: an entry's failure is its own ``response.outcome``
and undoes nothing else. Runs of entries a transaction would write together, whose
references read nothing (no placeholder, no condition), are written together in one
transaction (``run_batch``); every other entry runs in its own transaction, after the run
before it. A run the database refuses as a whole is run again one entry per transaction,
so each entry gets the answer it gets alone. Placeholder references between batch entries
are not resolved (400).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.requests import Request
from starlette.responses import Response

from fhir_server.http.body import parse_json, read_bytes
from fhir_server.http.bundle_entries import (
    PROCESSING_ORDER,
    Entry,
    at_entry,
    check_bundle,
    parse_entries,
)
from fhir_server.http.entry_actions import (
    Context,
    EntryResult,
    batched_write,
    criteria,
    execute,
    new_resource,
    query_text,
    response_entry,
    written,
)
from fhir_server.http.negotiation import preferences, require_content_type, response_media_type
from fhir_server.http.responses import base_url, fhir_response
from fhir_server.http.rest_routes import body_limit, registry_of, store_of
from resources import error_codes
from resources.bundle_references import (
    is_conditional,
    is_placeholder,
    reference_holders,
    references,
    rewrite_holders,
)
from resources.errors import FhirError, Invalid, PreconditionFailed
from resources.identity import instant, new_id, now
from resources.ports import NewResource, ResourceStore, StoreTransaction

_log = logging.getLogger(__name__)

WRITE_BATCH = 1000
"""Creates written together at most: a Bundle file of a million entries (``nutrivision
import``) is not held as one statement's parameters."""


async def bundle_endpoint(request: Request) -> Response:
    """``POST [base]``: process a transaction or batch Bundle."""
    prefs = preferences(request)
    response_media_type(request)
    require_content_type(request)
    body = parse_json(await read_bytes(request, body_limit(request)))
    settings = request.app.state.settings
    kind, raw = check_bundle(body, int(settings.max_bundle_entries))
    base = base_url(request)
    entries = parse_entries(raw, base)
    ctx = Context(
        registry=registry_of(request),
        base=base,
        default_count=int(settings.default_page_size),
        max_count=int(settings.max_page_size),
        delete_multiple=bool(settings.conditional_delete_multiple),
    )
    store = store_of(request)
    if kind == "transaction":
        async with store.transaction() as tx:
            results = await run_transaction(tx, entries, ctx)
    else:
        results = await run_batch(store, entries, ctx)
    answer = {
        "resourceType": "Bundle",
        "id": new_id(),
        "meta": {"lastUpdated": instant(now())},
        "type": f"{kind}-response",
        "entry": [response_entry(base, result, prefs.return_) for result in results],
    }
    return fhir_response(request, answer)


async def run_transaction(
    tx: StoreTransaction, entries: list[Entry], ctx: Context
) -> list[EntryResult]:
    """Every entry on ``tx`` in processing order; results in the Bundle's order."""
    results: dict[int, EntryResult] = {}
    targets: set[str] = set()
    ordered = sorted(entries, key=lambda e: PROCESSING_ORDER[e.method])
    deletes = [e for e in ordered if e.method == "DELETE"]
    for entry in deletes:
        results[entry.index] = await _run(tx, entry, ctx, targets)
    mapping = await _assign_ids(tx, entries, ctx)
    await _resolve_references(tx, entries, ctx, mapping)
    await _run_in_order(tx, ordered[len(deletes) :], ctx, targets, results)
    return [results[entry.index] for entry in entries]


async def _run_in_order(
    tx: StoreTransaction,
    entries: list[Entry],
    ctx: Context,
    targets: set[str],
    results: dict[int, EntryResult],
) -> None:
    """Run ``entries`` in order, each run of unconditional POSTs and of PUTs to an id written
    together (``create_many``): everything else, and any error, comes after the writes
    before it, so what a hook or a conditional entry reads is what it read one by one."""
    pending: list[tuple[Entry, NewResource]] = []
    for entry in entries:
        if not batched_write(tx, entry):
            await _create_pending(tx, pending, targets, results)
            results[entry.index] = await _run(tx, entry, ctx, targets)
            continue
        try:
            item = new_resource(entry, ctx)
        except FhirError as error:
            await _create_pending(tx, pending, targets, results)
            raise at_entry(entry, entry.full_url, error) from None
        pending.append((entry, item))
        if len(pending) >= WRITE_BATCH:
            await _create_pending(tx, pending, targets, results)
    await _create_pending(tx, pending, targets, results)


async def _create_pending(
    tx: StoreTransaction,
    pending: list[tuple[Entry, NewResource]],
    targets: set[str],
    results: dict[int, EntryResult],
) -> None:
    """Write the pending POSTs and PUTs (an error of one alone names its entry; ``batches``
    keeps those that a hook or the policy may refuse out of a run of several)."""
    if not pending:
        return
    try:
        created = await tx.create_many([item for _, item in pending])
    except FhirError as error:
        if len(pending) > 1:
            raise
        raise at_entry(pending[0][0], pending[0][0].full_url, error) from None
    for (entry, _), result in zip(pending, created, strict=True):
        results[entry.index] = _claimed(entry, written(result), targets)
    pending.clear()


@dataclass
class _Run:
    """Batch entries to be written together: at most ``WRITE_BATCH``, one write per id."""

    entries: list[Entry] = field(default_factory=list)
    targets: set[tuple[str, str]] = field(default_factory=set)

    def takes(self, entry: Entry) -> bool:
        """Room for ``entry``, and not a second write of an id (that one comes after)."""
        target = (entry.resource_type, entry.id_ or "")
        return len(self.entries) < WRITE_BATCH and target not in self.targets

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)
        if entry.id_ is not None:
            self.targets.add((entry.resource_type, entry.id_))


async def run_batch(store: ResourceStore, entries: list[Entry], ctx: Context) -> list[EntryResult]:
    """Every entry of a batch on its own, results in the Bundle's order: runs of entries that
    ``_joint`` allows written together (``_write_run``), each other entry in its own
    transaction after the run before it, as one by one."""
    async with store.transaction() as tx:  # asks the hooks and the policy; writes nothing
        joint = [_joint(tx, entry) for entry in entries]
    results: dict[int, EntryResult] = {}
    run = _Run()
    for entry, together in zip(entries, joint, strict=True):
        if run.entries and not (together and run.takes(entry)):
            await _write_run(store, run.entries, ctx, results)
            run = _Run()
        if together:
            run.add(entry)
        else:
            results[entry.index] = await run_batch_entry(store, entry, ctx)
    await _write_run(store, run.entries, ctx, results)
    return [results[entry.index] for entry in entries]


def _joint(tx: StoreTransaction, entry: Entry) -> bool:
    """``batched_write``, and no reference that reads the store (a condition) or that fails
    on its own (a placeholder): such an entry runs alone, as it did."""
    if not batched_write(tx, entry):
        return False
    values = references(entry.resource or {})
    return not any(is_placeholder(v) or is_conditional(v) for v in values)


async def _write_run(
    store: ResourceStore, run: list[Entry], ctx: Context, results: dict[int, EntryResult]
) -> None:
    """Validate each entry (an invalid one is answered alone), write the others together in
    one transaction; if that fails as a whole, write them again one per transaction, so each
    gets the answer it gets alone and none is half written."""
    valid: list[tuple[Entry, NewResource]] = []
    for entry in run:
        try:
            valid.append((entry, new_resource(entry, ctx)))
        except FhirError as error:
            results[entry.index] = _failed(at_entry(entry, entry.full_url, error))
    if not valid:
        return
    try:
        async with store.transaction() as tx:
            created = await tx.create_many([item for _, item in valid])
    except Exception as error:
        if _unavailable(error):
            raise
        for entry, _ in valid:  # which entry failed, and why, is known only alone
            results[entry.index] = await run_batch_entry(store, entry, ctx)
        return
    for (entry, _), result in zip(valid, created, strict=True):
        results[entry.index] = written(result)


async def run_batch_entry(store: ResourceStore, entry: Entry, ctx: Context) -> EntryResult:
    """One batch entry in its own transaction; a failure rolls that one back and becomes
    its ``response.outcome`` (an unexpected error too, such as a row the database refuses:
    a 500 of that entry, not of the batch)."""
    try:
        async with store.transaction() as tx:
            await _resolve_references(tx, [entry], ctx, {})
            return await _run(tx, entry, ctx, set())
    except FhirError as error:  # already named after the entry by _resolve_references/_run
        return _failed(error)
    except Exception as error:
        if _unavailable(error):
            raise
        _log.exception("batch entry %s failed", entry.index)  # the trace stays in the log
        failed = FhirError("Internal server error", error_codes.INTERNAL)
        return _failed(at_entry(entry, entry.full_url, failed))


def _unavailable(error: Exception) -> bool:
    """The database cannot be reached: the whole Bundle's 503 (``errors.install``), not
    one entry's failure."""
    return isinstance(error, OperationalError | InterfaceError | PoolTimeout)


def _failed(error: FhirError) -> EntryResult:
    return EntryResult(error.status, outcome=error.outcome())


async def _run(tx: StoreTransaction, entry: Entry, ctx: Context, targets: set[str]) -> EntryResult:
    try:
        result = await execute(tx, entry, ctx)
    except FhirError as error:
        raise at_entry(entry, entry.full_url, error) from None
    return _claimed(entry, result, targets)


def _claimed(entry: Entry, result: EntryResult, targets: set[str]) -> EntryResult:
    """``result``, its target taken; a target another entry wrote is refused."""
    if result.wrote and result.stored is not None:
        if result.stored.reference in targets:
            error = Invalid(
                f"{result.stored.reference} is written by another entry too",
                error_codes.BUNDLE_DUPLICATE_TARGET,
            )
            raise at_entry(entry, entry.full_url, error)
        targets.add(result.stored.reference)
    return result


async def _assign_ids(tx: StoreTransaction, entries: list[Entry], ctx: Context) -> dict[str, str]:
    """Give every POST, and every conditional PUT, its id before any of them runs; return the
    placeholder fullUrls as ``Type/id``."""
    mapping: dict[str, str] = {}
    for entry in entries:
        try:
            id_ = await _target_id(tx, entry, ctx)
        except FhirError as error:
            raise at_entry(entry, entry.full_url, error) from None
        if id_ is None:
            continue
        if entry.method in ("POST", "PUT") and entry.id_ is None:
            ctx.ids[entry.index] = id_
        if entry.full_url is not None and is_placeholder(entry.full_url):
            mapping[entry.full_url] = f"{entry.resource_type}/{id_}"
    return mapping


async def _target_id(tx: StoreTransaction, entry: Entry, ctx: Context) -> str | None:
    condition = None
    if entry.method == "POST" and entry.if_none_exist is not None:
        condition = criteria(entry.resource_type, entry.if_none_exist, ctx.registry)
    elif entry.method == "PUT" and entry.id_ is None:
        condition = criteria(entry.resource_type, query_text(entry), ctx.registry)
    elif entry.method == "PUT":
        return entry.id_
    elif entry.method != "POST":
        return None
    found = await tx.match(condition, 2) if condition is not None else []
    if len(found) > 1:
        raise PreconditionFailed(
            f"The condition matches more than one {entry.resource_type}",
            error_codes.CONDITIONAL_MULTIPLE,
        )
    if found:
        return found[0].id
    body_id = (entry.resource or {}).get("id")
    if entry.method == "PUT" and isinstance(body_id, str):
        return body_id
    return new_id()


async def _resolve_references(
    tx: StoreTransaction, entries: list[Entry], ctx: Context, mapping: dict[str, str]
) -> None:
    """Rewrite placeholder and conditional references in every entry's resource, in place
    (the resource is the request's own, parsed for this Bundle alone)."""
    found: dict[str, str] = dict(mapping)
    for entry in entries:
        if entry.resource is None:
            continue
        holders = reference_holders(entry.resource)
        try:
            for holder in holders:
                value = holder["reference"]
                if value not in found:
                    found[value] = await _resolve(tx, value, ctx) or value
        except FhirError as error:
            raise at_entry(entry, entry.full_url, error) from None
        rewrite_holders(holders, found)


async def _resolve(tx: StoreTransaction, value: str, ctx: Context) -> str | None:
    if is_placeholder(value):
        raise Invalid(
            f"Reference {value!r} names no entry of this transaction"
            " (batch entries cannot reference each other)",
            error_codes.BUNDLE_UNRESOLVED_REFERENCE,
        )
    if not is_conditional(value):
        return None
    resource_type = value.partition("?")[0]
    matches = await tx.match(criteria(resource_type, value, ctx.registry), 2)
    if len(matches) != 1:
        code = (
            error_codes.CONDITIONAL_REFERENCE_NO_MATCH
            if not matches
            else error_codes.CONDITIONAL_REFERENCE_MULTIPLE
        )
        amount = "no" if not matches else "more than one"
        raise PreconditionFailed(f"Conditional reference {value!r} matches {amount} resource", code)
    return matches[0].reference
