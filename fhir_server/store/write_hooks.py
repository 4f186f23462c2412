"""Write hooks around the resource store: each create, update or patch of a watched type runs
the registered ``WriteHook`` s on the write's own transaction, and each delete the
``DeleteHook`` s among them.

A wrapper rather than a change inside ``PostgresResourceStore``: a single-request write of a
watched type opens a unit of work, writes, runs the hooks and commits, which is what the plain
method does plus the hooks; a transaction Bundle gets a wrapped ``StoreTransaction`` that does
the same per entry. Other types and every read go straight to the wrapped store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from fhir_server.store.resource_store import PostgresResourceStore
from resources.errors import Issue
from resources.ports import (
    BatchWriteHook,
    DeleteHook,
    Mutation,
    NewResource,
    StoreTransaction,
    WriteHook,
)
from resources.search.query import SearchQuery
from resources.stored import HistoryPage, Method, SearchPage, StoredVersion, WriteResult


async def _hooked(
    hooks: Sequence[WriteHook], tx: StoreTransaction, result: WriteResult, wrote: bool
) -> WriteResult:
    if not wrote or result.stored.deleted:
        return result
    issues = list(result.issues)
    for hook in hooks:
        if hook.watches(result.stored.resource_type):
            issues += await hook.after_write(tx, result.stored)
    return replace(result, issues=tuple(issues)) if issues else result


def _delete_hooks(hooks: Sequence[WriteHook], resource_type: str) -> list[DeleteHook]:
    return [h for h in hooks if isinstance(h, DeleteHook) and h.watches(resource_type)]


async def _after_delete(
    hooks: Sequence[WriteHook], tx: StoreTransaction, deleted: StoredVersion | None
) -> None:
    if deleted is None:
        return
    for hook in _delete_hooks(hooks, deleted.resource_type):
        await hook.after_delete(tx, deleted)


def _batches(hooks: Sequence[WriteHook], resource_type: str) -> bool:
    """Every hook watching the type takes its creates together."""
    return all(
        isinstance(hook, BatchWriteHook) and hook.batches(resource_type)
        for hook in hooks
        if hook.watches(resource_type)
    )


async def _after_writes(
    hooks: Sequence[WriteHook], tx: StoreTransaction, results: list[WriteResult]
) -> list[WriteResult]:
    """Each batch hook told of the versions it watches, once; the issues it returns for a
    version (the safety findings of its patient) go to that version's writer."""
    told: dict[str, list[Issue]] = {}
    for hook in hooks:
        if isinstance(hook, BatchWriteHook):
            watched = [r.stored for r in results if hook.watches(r.stored.resource_type)]
            if watched:
                for reference, issues in (await hook.after_writes(tx, watched) or {}).items():
                    told.setdefault(reference, []).extend(issues)
    if not told:
        return results
    return [
        replace(r, issues=(*r.issues, *told[r.stored.reference]))
        if r.stored.reference in told
        else r
        for r in results
    ]


class HookedTransaction:
    """A ``StoreTransaction`` whose writes run the hooks on this same transaction."""

    def __init__(self, inner: StoreTransaction, hooks: Sequence[WriteHook]) -> None:
        self._inner = inner
        self._hooks = hooks
        self._batched: dict[str, bool] = {}  # per type: asked once per entry otherwise

    async def read(self, resource_type: str, id_: str) -> StoredVersion | None:
        return await self._inner.read(resource_type, id_)

    async def vread(self, resource_type: str, id_: str, version: int) -> StoredVersion | None:
        return await self._inner.vread(resource_type, id_, version)

    async def create(
        self,
        resource_type: str,
        resource: dict[str, Any],
        if_none_exist: SearchQuery | None,
        id_: str | None = None,
    ) -> WriteResult:
        result = await self._inner.create(resource_type, resource, if_none_exist, id_)
        return await _hooked(self._hooks, self._inner, result, result.created)

    def batches(self, resource_type: str) -> bool:
        if resource_type not in self._batched:
            self._batched[resource_type] = self._inner.batches(resource_type) and _batches(
                self._hooks, resource_type
            )
        return self._batched[resource_type]

    async def create_many(self, items: Sequence[NewResource]) -> list[WriteResult]:
        """Written together and told to the hooks together when every item ``batches``;
        else one by one, each with its hooks, as ``create`` does."""
        if not all(self.batches(item.resource_type) for item in items):
            return [await self._write_one(item) for item in items]
        results = await self._inner.create_many(items)
        return await _after_writes(self._hooks, self._inner, results)

    async def _write_one(self, item: NewResource) -> WriteResult:
        if item.method == "PUT" and item.id_ is not None:
            body = item.body
            return await self.update(item.resource_type, item.id_, lambda _: body, None, "PUT")
        return await self.create(item.resource_type, item.body, None, item.id_)

    async def update(
        self, resource_type: str, id_: str, mutate: Mutation, if_match: int | None, method: Method
    ) -> WriteResult:
        result = await self._inner.update(resource_type, id_, mutate, if_match, method)
        return await _hooked(self._hooks, self._inner, result, True)

    async def update_matching(
        self,
        criteria: SearchQuery,
        mutate: Mutation,
        if_match: int | None,
        method: Method,
        new_id_: str | None,
    ) -> WriteResult:
        result = await self._inner.update_matching(criteria, mutate, if_match, method, new_id_)
        return await _hooked(self._hooks, self._inner, result, True)

    async def delete(
        self, resource_type: str, id_: str, if_match: int | None
    ) -> StoredVersion | None:
        deleted = await self._inner.delete(resource_type, id_, if_match)
        await _after_delete(self._hooks, self._inner, deleted)
        return deleted

    async def delete_matching(self, criteria: SearchQuery, limit: int) -> list[StoredVersion]:
        deleted = await self._inner.delete_matching(criteria, limit)
        for version in deleted:
            await _after_delete(self._hooks, self._inner, version)
        return deleted

    async def match(self, query: SearchQuery, limit: int) -> list[StoredVersion]:
        return await self._inner.match(query, limit)

    async def search(self, query: SearchQuery, base_url: str | None = None) -> SearchPage:
        return await self._inner.search(query, base_url)


class HookedStore:
    """The ``ResourceStore`` port: ``PostgresResourceStore`` with write hooks."""

    def __init__(self, inner: PostgresResourceStore, hooks: Sequence[WriteHook]) -> None:
        self.inner = inner
        self.hooks = tuple(hooks)
        self.engine = inner.engine

    def _watched(self, resource_type: str) -> bool:
        return any(hook.watches(resource_type) for hook in self.hooks)

    def transaction(self) -> AbstractAsyncContextManager[StoreTransaction]:
        return self._transaction()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[StoreTransaction]:
        async with self.inner.transaction() as tx:
            yield HookedTransaction(tx, self.hooks)

    async def read(self, resource_type: str, id_: str) -> StoredVersion | None:
        return await self.inner.read(resource_type, id_)

    async def vread(self, resource_type: str, id_: str, version: int) -> StoredVersion | None:
        return await self.inner.vread(resource_type, id_, version)

    async def create(
        self, resource_type: str, resource: dict[str, Any], if_none_exist: SearchQuery | None
    ) -> WriteResult:
        if not self._watched(resource_type):
            return await self.inner.create(resource_type, resource, if_none_exist)
        async with self.transaction() as tx:
            return await tx.create(resource_type, resource, if_none_exist)

    async def update(
        self, resource_type: str, id_: str, mutate: Mutation, if_match: int | None, method: Method
    ) -> WriteResult:
        if not self._watched(resource_type):
            return await self.inner.update(resource_type, id_, mutate, if_match, method)
        async with self.transaction() as tx:
            return await tx.update(resource_type, id_, mutate, if_match, method)

    async def update_matching(
        self,
        criteria: SearchQuery,
        mutate: Mutation,
        if_match: int | None,
        method: Method,
        new_id_: str | None,
    ) -> WriteResult:
        if not self._watched(criteria.resource_types[0]):
            return await self.inner.update_matching(criteria, mutate, if_match, method, new_id_)
        async with self.transaction() as tx:
            return await tx.update_matching(criteria, mutate, if_match, method, new_id_)

    async def delete_matching(self, criteria: SearchQuery, limit: int) -> list[StoredVersion]:
        if not _delete_hooks(self.hooks, criteria.resource_types[0]):
            return await self.inner.delete_matching(criteria, limit)
        async with self.transaction() as tx:
            return await tx.delete_matching(criteria, limit)

    async def delete(
        self, resource_type: str, id_: str, if_match: int | None
    ) -> StoredVersion | None:
        if not _delete_hooks(self.hooks, resource_type):
            return await self.inner.delete(resource_type, id_, if_match)
        async with self.transaction() as tx:
            return await tx.delete(resource_type, id_, if_match)

    async def history(
        self,
        resource_type: str | None,
        id_: str | None,
        since: datetime | None,
        count: int,
        cursor: int | None,
    ) -> HistoryPage:
        return await self.inner.history(resource_type, id_, since, count, cursor)

    async def search(
        self, query: SearchQuery, cursor: str | None, base_url: str | None = None
    ) -> SearchPage:
        return await self.inner.search(query, cursor, base_url)
