"""Writes of SearchParameter resources: checked in their transaction, in force once committed.

``SearchParamCheck`` is a write hook: every version of a SearchParameter that any write path
stores (create, update, patch, conditional, Bundle, import) must be a parameter the server can
index, with a code no other parameter of its bases uses (the same URL is a new version of the
same parameter), or the transaction rolls back with a 400. ``LiveStore`` is the hooked store
that, after a transaction that wrote or deleted a SearchParameter commits, reloads the registry
(``LiveSearchParams.changed``), so the next write indexes the parameter and the next search
knows it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fhir_server.store.resource_store import PostgresResourceStore
from fhir_server.store.search_params import LiveSearchParams
from fhir_server.store.write_hooks import HookedStore, HookedTransaction
from profiles_ig.search_params import is_builtin
from resources import error_codes, fhir_json
from resources.errors import Invalid, Issue, Unprocessable
from resources.ports import Mutation, NewResource, StoreTransaction, WriteHook
from resources.resource_types import SERVED_TYPES
from resources.search.custom import custom_param
from resources.search.param_def import ABSTRACT_BASES, SearchParamDef
from resources.search.query import SearchQuery
from resources.search.registry import SearchRegistry
from resources.stored import Method, StoredVersion, WriteResult

SEARCH_PARAMETER = "SearchParameter"


def checked_param(resource: dict[str, Any], registry: SearchRegistry) -> SearchParamDef:
    """The parameter a SearchParameter resource defines, or ``Invalid`` (400) saying why."""
    try:
        param = custom_param(resource, registry)
    except Unprocessable as error:
        raise Invalid(
            error.message, error_codes.SEARCH_PARAMETER_INVALID, error.expression
        ) from None
    for resource_type in _concrete(param.base):
        existing = registry.get(resource_type, param.code)
        if existing is not None and existing.url != param.url:
            raise Invalid(
                f"Invalid SearchParameter: {resource_type} already has a parameter "
                f"{param.code!r} ({existing.url})",
                error_codes.SEARCH_PARAMETER_CODE_TAKEN,
                ("SearchParameter.code",),
            )
    return param


def _concrete(bases: Sequence[str]) -> list[str]:
    if any(base in ABSTRACT_BASES for base in bases):
        return sorted(SERVED_TYPES)
    return list(bases)


class SearchParamCheck:
    """The write hook that refuses SearchParameters the server could not index."""

    def __init__(self, live: LiveSearchParams) -> None:
        self.live = live

    def watches(self, resource_type: str) -> bool:
        return resource_type == SEARCH_PARAMETER

    async def after_write(self, tx: StoreTransaction, written: StoredVersion) -> list[Issue]:
        if written.body is None:
            return []
        resource = fhir_json.loads(written.body)
        if is_builtin(str(resource.get("url"))):
            return []  # a copy of a built-in definition, stored as is; the built-in is used
        checked_param(resource, self.live.registry)
        return []


class _WatchedTransaction(HookedTransaction):
    """A hooked transaction that remembers whether it changed a SearchParameter."""

    def __init__(self, inner: StoreTransaction, hooks: Sequence[WriteHook]) -> None:
        super().__init__(inner, hooks)
        self.touched = False

    async def create(
        self,
        resource_type: str,
        resource: dict[str, Any],
        if_none_exist: SearchQuery | None,
        id_: str | None = None,
    ) -> WriteResult:
        result = await super().create(resource_type, resource, if_none_exist, id_)
        self.touched |= result.created and resource_type == SEARCH_PARAMETER
        return result

    async def create_many(self, items: Sequence[NewResource]) -> list[WriteResult]:
        results = await super().create_many(items)
        self.touched |= any(item.resource_type == SEARCH_PARAMETER for item in items)
        return results

    async def update(
        self, resource_type: str, id_: str, mutate: Mutation, if_match: int | None, method: Method
    ) -> WriteResult:
        result = await super().update(resource_type, id_, mutate, if_match, method)
        self.touched |= resource_type == SEARCH_PARAMETER
        return result

    async def update_matching(
        self,
        criteria: SearchQuery,
        mutate: Mutation,
        if_match: int | None,
        method: Method,
        new_id_: str | None,
    ) -> WriteResult:
        result = await super().update_matching(criteria, mutate, if_match, method, new_id_)
        self.touched |= result.stored.resource_type == SEARCH_PARAMETER
        return result

    async def delete(
        self, resource_type: str, id_: str, if_match: int | None
    ) -> StoredVersion | None:
        deleted = await super().delete(resource_type, id_, if_match)
        self.touched |= resource_type == SEARCH_PARAMETER
        return deleted

    async def delete_matching(self, criteria: SearchQuery, limit: int) -> list[StoredVersion]:
        deleted = await super().delete_matching(criteria, limit)
        self.touched |= any(v.resource_type == SEARCH_PARAMETER for v in deleted)
        return deleted


class LiveStore(HookedStore):
    """The hooked store that puts committed SearchParameter changes in force at once."""

    def __init__(
        self,
        inner: PostgresResourceStore,
        hooks: Sequence[WriteHook],
        live: LiveSearchParams,
    ) -> None:
        super().__init__(inner, (*hooks, SearchParamCheck(live)))
        self.live = live

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[StoreTransaction]:
        async with self.inner.transaction() as tx:
            watched = _WatchedTransaction(tx, self.hooks)
            yield watched
        if watched.touched:  # committed: the block above did not raise
            await self.live.changed()

    async def delete(
        self, resource_type: str, id_: str, if_match: int | None
    ) -> StoredVersion | None:
        deleted = await super().delete(resource_type, id_, if_match)
        if resource_type == SEARCH_PARAMETER and deleted is not None:
            await self.live.changed()
        return deleted

    async def delete_matching(self, criteria: SearchQuery, limit: int) -> list[StoredVersion]:
        deleted = await super().delete_matching(criteria, limit)
        if any(v.resource_type == SEARCH_PARAMETER for v in deleted):
            await self.live.changed()
        return deleted
