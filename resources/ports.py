"""Ports: what the REST core needs from storage, as Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from resources.errors import Issue
from resources.jobs import JobInfo
from resources.search.query import SearchQuery
from resources.stored import HistoryPage, Method, SearchPage, StoredVersion, WriteResult

Mutation = Callable[[StoredVersion | None], dict[str, Any]]
"""Given the current version (or None), return the new resource JSON (without meta)."""


@dataclass(frozen=True)
class NewResource:
    """One write of ``StoreTransaction.create_many``: the resource JSON (without meta) and
    the id to give, when assigned ahead of time. ``PUT`` (with an id) is an update-as-create:
    it creates the id when it does not exist, and else updates it as ``update`` would."""

    resource_type: str
    body: dict[str, Any]
    id_: str | None = None
    method: Literal["POST", "PUT"] = "POST"
    rows: Mapping[str, bytes] | None = None
    """Index rows of the first version computed ahead (a bulk import's worker), as one JSON
    array per table name, but for the parameters that read the version's meta; None: every
    row is extracted at the write. Ignored when the write is an update."""


class StoreTransaction(Protocol):
    """One open database transaction: every call runs on it; nothing is committed until the
    unit of work ends without an error, and everything is rolled back if it raises."""

    async def read(self, resource_type: str, id_: str) -> StoredVersion | None:
        """The current version as this transaction sees it."""

    async def vread(self, resource_type: str, id_: str, version: int) -> StoredVersion | None:
        """One version as this transaction sees it."""

    async def create(
        self,
        resource_type: str,
        resource: dict[str, Any],
        if_none_exist: SearchQuery | None,
        id_: str | None = None,
    ) -> WriteResult:
        """``ResourceStore.create``; ``id_`` is the id to give (assigned ahead of time)."""

    def batches(self, resource_type: str) -> bool:
        """Whether creates of ``resource_type`` may go through ``create_many``: no write hook
        needs to see them one at a time (a hook that reads the store, or one that may refuse
        a single resource, does), and nothing about them needs a check of its own."""

    async def create_many(self, items: Sequence[NewResource]) -> list[WriteResult]:
        """Unconditional creates (and PUTs to an id), written together: the same versions,
        index rows and hook effects as ``create`` (``update`` for a PUT) once per item, in
        order, at a fraction of the statements. Items whose type does not ``batch`` are still
        correct, written one by one."""

    async def update(
        self, resource_type: str, id_: str, mutate: Mutation, if_match: int | None, method: Method
    ) -> WriteResult:
        """``ResourceStore.update`` in this transaction."""

    async def update_matching(
        self,
        criteria: SearchQuery,
        mutate: Mutation,
        if_match: int | None,
        method: Method,
        new_id_: str | None,
    ) -> WriteResult:
        """``ResourceStore.update_matching`` in this transaction."""

    async def delete(
        self, resource_type: str, id_: str, if_match: int | None
    ) -> StoredVersion | None:
        """``ResourceStore.delete`` in this transaction."""

    async def delete_matching(self, criteria: SearchQuery, limit: int) -> list[StoredVersion]:
        """``ResourceStore.delete_matching`` in this transaction."""

    async def match(self, query: SearchQuery, limit: int) -> list[StoredVersion]:
        """The first ``limit`` current resources matching ``query`` (conditional references)."""

    async def search(self, query: SearchQuery, base_url: str | None = None) -> SearchPage:
        """The first page of a search, seeing this transaction's writes."""


class ResourceStore(Protocol):
    """Versioned resource storage; every method is one database transaction."""

    def transaction(self) -> AbstractAsyncContextManager[StoreTransaction]:
        """A unit of work: ``async with store.transaction() as tx`` (all or nothing)."""

    async def read(self, resource_type: str, id_: str) -> StoredVersion | None:
        """The current version, deleted or not; None if the id never existed."""

    async def vread(self, resource_type: str, id_: str, version: int) -> StoredVersion | None:
        """One version; None if there is no such version."""

    async def create(
        self, resource_type: str, resource: dict[str, Any], if_none_exist: SearchQuery | None
    ) -> WriteResult:
        """Store a new resource with a server id, unless ``if_none_exist`` matches: one match
        is returned as it is, several are ``PreconditionFailed`` (412)."""

    async def update(
        self,
        resource_type: str,
        id_: str,
        mutate: Mutation,
        if_match: int | None,
        method: Method,
    ) -> WriteResult:
        """Write a new version computed from the current one, holding a row lock."""

    async def update_matching(
        self,
        criteria: SearchQuery,
        mutate: Mutation,
        if_match: int | None,
        method: Method,
        new_id_: str | None,
    ) -> WriteResult:
        """Conditional update or patch: write a new version of the one current resource that
        ``criteria`` matches. No match: a PUT creates (with ``new_id_``, which must not name a
        live resource: ``Invalid``), a PATCH is ``NotFound``; several: ``PreconditionFailed``.
        Identical conditions are serialised, so two cannot both create."""

    async def delete_matching(self, criteria: SearchQuery, limit: int) -> list[StoredVersion]:
        """Conditional delete of every match, all or none: more than ``limit`` matches are
        ``PreconditionFailed``; returns the deleted versions (empty when nothing matched)."""

    async def delete(
        self, resource_type: str, id_: str, if_match: int | None
    ) -> StoredVersion | None:
        """Logically delete; None when the id never existed. Idempotent on deleted ones."""

    async def history(
        self,
        resource_type: str | None,
        id_: str | None,
        since: datetime | None,
        count: int,
        cursor: int | None,
    ) -> HistoryPage:
        """Versions newest first, at most ``count``, older than ``cursor``."""

    async def search(
        self, query: SearchQuery, cursor: str | None, base_url: str | None = None
    ) -> SearchPage:
        """One page of the current, non-deleted resources matching ``query``, after ``cursor``
        (from the previous page's ``next_cursor``); ``base_url`` makes absolute references to
        this server local."""


class WriteHook(Protocol):
    """Work that must happen in the same transaction as a write (the safety re-check).

    The composition root registers hooks; the store calls ``after_write`` for every version
    of a watched type that a create, update or patch writes, on the write's own transaction,
    so whatever the hook writes commits or rolls back with it. The issues it returns are
    told to the client that made the write (warnings in its OperationOutcome).
    """

    def watches(self, resource_type: str) -> bool:
        """True when writes of ``resource_type`` concern this hook."""

    async def after_write(self, tx: StoreTransaction, written: StoredVersion) -> list[Issue]:
        """React to ``written`` inside ``tx``; return issues for the writer."""


@runtime_checkable
class DeleteHook(Protocol):
    """A ``WriteHook`` that also sees deletes, on the delete's own transaction (the audit
    trail records a delete so that the event commits or rolls back with it)."""

    def watches(self, resource_type: str) -> bool:
        """True when deletes of ``resource_type`` concern this hook."""

    async def after_delete(self, tx: StoreTransaction, deleted: StoredVersion) -> None:
        """React to the deletion marker ``deleted`` inside ``tx``."""


@runtime_checkable
class BatchWriteHook(Protocol):
    """A ``WriteHook`` that can be told of many written versions at once (``create_many``:
    the audit trail writes all their events in one statement; the safety re-check checks
    each patient once). What it returns is told to the writers: issues by the ``Type/id``
    of the version they concern (None or nothing for none)."""

    def watches(self, resource_type: str) -> bool:
        """True when writes of ``resource_type`` concern this hook."""

    def batches(self, resource_type: str) -> bool:
        """True when writes of ``resource_type`` may be told to ``after_writes`` together."""

    async def after_writes(
        self, tx: StoreTransaction, written: Sequence[StoredVersion]
    ) -> Mapping[str, Sequence[Issue]] | None:
        """React to the versions ``written``, in order, inside ``tx``; issues for their
        writers by reference."""


class JobQueue(Protocol):
    """Durable background jobs (``resources.jobs``): submit, look up, cancel."""

    async def submit(self, kind: str, params: dict[str, Any]) -> JobInfo:
        """Queue a job of ``kind`` (a handler the server knows) with JSON ``params``."""

    async def get(self, job_id: str) -> JobInfo | None:
        """The job, or None when no such job exists."""

    async def cancel(self, job_id: str) -> JobInfo | None:
        """Cancel a job: a queued or running one stops; a finished one's result is withdrawn."""
