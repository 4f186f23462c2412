"""Loading Bundles and NDJSON into the store, through the same code as ``POST [base]``.

A transaction Bundle is one database transaction; a batch Bundle runs entry by entry; a
collection Bundle is loaded as a transaction of its resources (PUT to their ids, POST when
they have none; ``urn:uuid`` fullUrls resolved as in a transaction). Every resource is
validated as a create or update is.

NDJSON lines are loaded ``batch`` at a time. The lines ``prepare`` readies (parsed, content
valid, most index rows computed, in worker processes when ``workers``) are written together
with ``create_many`` on the store's transaction (hooks, policy and audit included) after the
rest of ``validate``; that is what a transaction of their PUTs (POSTs for lines without an
id) writes, without the Bundle. Every other line, and every line of a batch whose write
fails, takes the ordinary path: the lines as one transaction Bundle, and when that fails,
one by one, so that only the bad lines are reported, each with its transaction's outcome.
``stream`` prepares the next batches while one is written.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncGenerator, Iterable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fhir_server.bulk.prepare import Numbered, Prepared, prepare, prepare_in_worker, worker_pool
from fhir_server.http.bundle_entries import check_bundle, parse_entries
from fhir_server.http.bundle_routes import WRITE_BATCH, run_batch, run_transaction
from fhir_server.http.entry_actions import Context
from fhir_server.http.rest_routes import validate
from resources import error_codes, fhir_json
from resources.errors import FhirError, Invalid
from resources.ports import NewResource, ResourceStore, StoreTransaction
from resources.search.registry import SearchRegistry

T = TypeVar("T")
log = logging.getLogger(__name__)
PREPARE_TIMEOUT_S = 120.0
"""How long a worker may take over one batch (about a second's work) before the loader stops
its workers and prepares every batch in its own process. The workers are forked from a process
that may run other threads: a lock one of them held at the fork would never be released in
the worker, which would wait for ever; so a lost or stuck worker costs speed, never the
import."""
MAX_ENTRIES = 1_000_000
"""Files are trusted input: no entry limit beyond memory."""


@dataclass(frozen=True)
class LineError:
    """A line (or Bundle entry) that could not be loaded, with its OperationOutcome."""

    line: int
    message: str
    outcome: dict[str, Any]


@dataclass
class Loaded:
    """What one call loaded, and what it could not."""

    resources: int = 0
    errors: list[LineError] = field(default_factory=list)
    together: int = 0
    """Of ``resources``, those written with the batch's ready lines (not one transaction
    Bundle)."""


def _as_transaction(bundle: dict[str, Any]) -> dict[str, Any]:
    entries = []
    for item in bundle.get("entry", []):
        resource = item.get("resource") if isinstance(item, dict) else None
        if not isinstance(resource, dict):
            continue
        entries.append({**item, "request": _request(resource)})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _request(resource: dict[str, Any]) -> dict[str, str]:
    kind, id_ = resource.get("resourceType"), resource.get("id")
    if isinstance(id_, str) and id_:
        return {"method": "PUT", "url": f"{kind}/{id_}"}
    return {"method": "POST", "url": str(kind)}


def _error(line: int, error: FhirError) -> LineError:
    return LineError(line, error.message, error.outcome())


class Loader:
    """Loads into ``store``; ``base`` is the FHIR base that absolute references name."""

    def __init__(
        self, store: ResourceStore, registry: SearchRegistry, base: str, workers: int = 0
    ) -> None:
        self.store = store
        self.registry = registry
        self.base = base
        self.workers = workers
        self._pool = worker_pool(workers, registry) if workers else None
        self.prepare_timeout_s = PREPARE_TIMEOUT_S

    def close(self, *, wait: bool = False) -> None:
        """Stop the worker processes (``wait``: until they have exited)."""
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)

    def _context(self) -> Context:
        return Context(self.registry, self.base, 20, 1000, delete_multiple=False)

    async def bundle(self, bundle: Any) -> Loaded:
        """Load one Bundle (raises ``FhirError`` when a transaction fails as a whole)."""
        if isinstance(bundle, dict) and bundle.get("type") == "collection":
            bundle = _as_transaction(bundle)
        kind, raw = check_bundle(bundle, MAX_ENTRIES)
        entries = parse_entries(raw, self.base)
        if kind == "transaction":
            async with self.store.transaction() as tx:
                await run_transaction(tx, entries, self._context())
            return Loaded(resources=len(entries))
        loaded = Loaded()
        results = await run_batch(self.store, entries, self._context())
        for entry, result in zip(entries, results, strict=True):
            if result.outcome is None:
                loaded.resources += 1
            else:
                issue = result.outcome.get("issue", [{}])[0]
                message = str(issue.get("diagnostics", "failed"))
                loaded.errors.append(LineError(entry.index + 1, message, result.outcome))
        return loaded

    async def lines(self, numbered: Numbered) -> Loaded:
        """Load NDJSON lines (number, text): those ``prepare`` readies together, the rest as
        one transaction, else one by one."""
        return await self.write(await self.prepare(numbered))

    async def prepare(self, numbered: Numbered) -> list[Prepared]:
        """The CPU-bound part of loading the lines, in a worker process when there are any
        (in this process once a worker is lost or stuck: ``PREPARE_TIMEOUT_S``)."""
        if self._pool is not None:
            work = asyncio.get_running_loop().run_in_executor(
                self._pool, prepare_in_worker, numbered
            )
            try:
                return await asyncio.wait_for(work, self.prepare_timeout_s)
            except (TimeoutError, BrokenProcessPool) as error:
                reason = "took too long" if isinstance(error, TimeoutError) else "was lost"
                log.warning("a bulk import worker %s; preparing in this process", reason)
                self._stop_workers()
        return prepare(numbered, self.registry, rows=False)

    def _stop_workers(self) -> None:
        pool, self._pool, self.workers = self._pool, None, 0
        if pool is None:
            return
        # A stuck worker does not end on shutdown; the executor has no public kill (3.14 adds
        # terminate_workers).
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    async def stream(
        self, batches: Iterable[tuple[T, Numbered]]
    ) -> AsyncGenerator[tuple[T, Loaded], None]:
        """Each batch loaded, in order, with its tag; up to ``workers`` batches are prepared
        while one is written."""
        ahead: deque[tuple[T, asyncio.Future[list[Prepared]]]] = deque()
        try:
            for tag, numbered in batches:
                ahead.append((tag, asyncio.ensure_future(self.prepare(numbered))))
                if len(ahead) > self.workers:
                    tag, prepared = ahead.popleft()
                    yield tag, await self.write(await prepared)
            while ahead:
                tag, prepared = ahead.popleft()
                yield tag, await self.write(await prepared)
        finally:
            for _, prepared in ahead:
                prepared.cancel()

    async def write(self, prepared: list[Prepared]) -> Loaded:
        """Write prepared lines: the ready ones together, the rest the ordinary way."""
        ready = [line for line in prepared if line.ready]
        if ready and not await self._ready(ready):
            ready = []
        taken = {line.number for line in ready}
        rest = [(line.number, line.text) for line in prepared if line.number not in taken]
        loaded = await self.transaction_lines(rest)
        loaded.resources += len(ready)
        loaded.together = len(ready)
        return loaded

    async def _ready(self, ready: list[Prepared]) -> bool:
        """Write the ready lines in one transaction; False (nothing written) when a check
        refuses one: the lines take the ordinary path, for its outcomes."""
        try:
            items = [_item(line) for line in ready]
            async with self.store.transaction() as tx:
                await _write_items(tx, items)
        except FhirError:
            return False
        return True

    async def transaction_lines(self, numbered: Numbered) -> Loaded:
        """The ordinary path: the lines as one transaction Bundle of PUTs (POSTs to lines
        without an id), as ``POST [base]`` runs it; when that fails, each line as one."""
        parsed: list[tuple[int, dict[str, Any]]] = []
        loaded = Loaded()
        for number, text in numbered:
            try:
                parsed.append((number, _resource(text)))
            except FhirError as error:
                loaded.errors.append(_error(number, error))
        if not parsed:
            return loaded
        try:
            await self._transaction([resource for _, resource in parsed])
            loaded.resources += len(parsed)
            return loaded
        except FhirError:
            pass  # find the bad lines: each on its own
        for number, resource in parsed:
            try:
                await self._transaction([resource])
                loaded.resources += 1
            except FhirError as error:
                loaded.errors.append(_error(number, error))
        loaded.errors.sort(key=lambda e: e.line)
        return loaded

    async def _transaction(self, resources: list[dict[str, Any]]) -> None:
        bundle = {"entry": [{"resource": r, "request": _request(r)} for r in resources]}
        entries = parse_entries(bundle["entry"], self.base)
        async with self.store.transaction() as tx:
            await run_transaction(tx, entries, self._context())


async def _write_items(tx: StoreTransaction, items: list[NewResource]) -> None:
    """As a transaction of their entries writes them (``run_transaction``): runs of the
    types the store writes together with ``create_many``, any other alone, in order."""
    run: list[NewResource] = []
    for item in items:
        if tx.batches(item.resource_type):
            run.append(item)
            if len(run) >= WRITE_BATCH:
                await tx.create_many(run)
                run = []
            continue
        if run:
            await tx.create_many(run)
            run = []
        await _write_alone(tx, item)
    if run:
        await tx.create_many(run)


async def _write_alone(tx: StoreTransaction, item: NewResource) -> None:
    """A POST or a PUT entry's store call (``entry_actions``), its id assigned ahead."""
    if item.method == "PUT" and item.id_ is not None:
        body = item.body
        await tx.update(item.resource_type, item.id_, lambda _current: body, None, "PUT")
    else:
        await tx.create(item.resource_type, item.body, None, item.id_)


def _item(line: Prepared) -> NewResource:
    """A ready line's write, after the checks of ``validate`` the worker did not run."""
    resource = fhir_json.loads(line.text)
    if line.method == "POST":
        resource = {k: v for k, v in resource.items() if k != "id"}
    validate(line.resource_type, resource, content_checked=True)
    return NewResource(line.resource_type, resource, line.id_, line.method, line.rows)


def _resource(text: bytes) -> dict[str, Any]:
    try:
        value = fhir_json.loads(text)
    except ValueError:
        raise Invalid("The line is not JSON", error_codes.IMPORT_BAD_LINE) from None
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        raise Invalid("The line is not a FHIR resource", error_codes.IMPORT_BAD_LINE)
    return value
