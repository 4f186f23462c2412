"""The resource store seen through a token's access policy (SMART scopes).

``PolicyStore`` implements the ``ResourceStore`` port around the real store, and
``PolicyTransaction`` the ``StoreTransaction`` port around its units of work, so every route,
Bundle entry and operation that takes the request's store (``rest_routes.store_of``) is held to
the token's scopes; none can forget a check.

- A type the scopes do not grant for the interaction at all: 403 (``Forbidden``, NV-0150,
  ``WWW-Authenticate: Bearer error="insufficient_scope"``), decided before any data is read.
- A resource of a granted type that the token may not see (another patient's, outside a v2
  scope query): answered exactly as if it did not exist (read, vread, delete: None, so 404;
  PATCH: the 404 of a missing resource; history: left out). A 403 there would tell the caller
  that the id exists. A deleted resource is judged by its last live version, so a 410 is only
  ever given for a resource the token could have read.
- PUT on a hidden resource cannot be answered as if absent (that would create it), so it is a
  403 (NV-0152), as is a write whose result would leave the token's reach (another patient's
  compartment, a v2 scope query it does not match), and an update or delete of a resource the
  token can read but not write (one shared with another patient's compartment).
- Searches get the restriction inside their expression tree (``restrict_search``), so the SQL,
  the paging and every total only count what the token sees; ``_include``/``_revinclude``
  results are checked by the same restriction in one more query per included type.
- Conditional writes and conditional references are searches: they need search access and see
  only what the token sees.
- History: instance history needs read, type and system history search; each version is
  judged on its own content (a resource that moved between patients shows each patient only
  the versions that were theirs). Totals are left out where the policy restricts the type.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from typing import Any

from fhir_server.store.policy_guard import PolicyGuard, outside_access
from resources.ports import Mutation, NewResource, ResourceStore, StoreTransaction
from resources.search.query import SearchQuery
from resources.stored import HistoryPage, Method, SearchPage, StoredVersion, WriteResult
from smart_auth.policy import AccessPolicy
from smart_auth.scopes import Interaction
from smart_auth.search_restriction import restrict_condition, restrict_search


class _PolicyView(PolicyGuard):
    """What the store and its transactions share: reads and writes that take the same
    arguments on both ports, held to the policy the same way."""

    def __init__(self, inner: ResourceStore | StoreTransaction, policy: AccessPolicy) -> None:
        super().__init__(policy)
        self.inner = inner

    async def read(self, resource_type: str, id_: str) -> StoredVersion | None:
        return await self.checked_read(self.inner, resource_type, id_)

    async def vread(self, resource_type: str, id_: str, version: int) -> StoredVersion | None:
        return await self.checked_vread(self.inner, resource_type, id_, version)

    async def update(
        self, resource_type: str, id_: str, mutate: Mutation, if_match: int | None, method: Method
    ) -> WriteResult:
        self.policy.require("u", resource_type)
        guarded = self.guarded(resource_type, id_, mutate, method)
        return await self.inner.update(resource_type, id_, guarded, if_match, method)

    async def update_matching(
        self,
        criteria: SearchQuery,
        mutate: Mutation,
        if_match: int | None,
        method: Method,
        new_id_: str | None,
    ) -> WriteResult:
        resource_type = criteria.resource_types[0]
        condition = restrict_condition(self.policy, criteria, "u")
        guarded = self.guarded(resource_type, new_id_, mutate, method)
        return await self.inner.update_matching(condition, guarded, if_match, method, new_id_)

    async def delete_matching(self, criteria: SearchQuery, limit: int) -> list[StoredVersion]:
        condition = restrict_condition(self.policy, criteria, "d")
        return await self.inner.delete_matching(condition, limit)


class PolicyTransaction(_PolicyView):
    """The ``StoreTransaction`` port held to a policy (one transaction of the real store)."""

    def __init__(self, inner: StoreTransaction, policy: AccessPolicy) -> None:
        super().__init__(inner, policy)
        self.inner: StoreTransaction = inner

    async def create(
        self,
        resource_type: str,
        resource: dict[str, Any],
        if_none_exist: SearchQuery | None,
        id_: str | None = None,
    ) -> WriteResult:
        condition = self.creatable(resource_type, resource, if_none_exist, id_)
        return await self.inner.create(resource_type, resource, condition, id_)

    def batches(self, resource_type: str) -> bool:
        """Only types the token may create and update with no restriction: a write the
        policy judges by its content is checked, and refused, on its own."""
        writes: tuple[Interaction, ...] = ("c", "u")
        unrestricted = all(self.policy.restriction(i, resource_type) is None for i in writes)
        return unrestricted and self.inner.batches(resource_type)

    async def create_many(self, items: Sequence[NewResource]) -> list[WriteResult]:
        for item in items:
            if item.method == "PUT":
                self.policy.require("u", item.resource_type)
            self.creatable(item.resource_type, item.body, None, item.id_)
        return await self.inner.create_many(items)

    async def delete(
        self, resource_type: str, id_: str, if_match: int | None
    ) -> StoredVersion | None:
        return await self.checked_delete(resource_type, id_, if_match)

    async def match(self, query: SearchQuery, limit: int) -> list[StoredVersion]:
        return await self.inner.match(restrict_search(self.policy, query), limit)

    async def search(self, query: SearchQuery, base_url: str | None = None) -> SearchPage:
        page = await self.inner.search(restrict_search(self.policy, query), base_url)
        return await self.with_visible_includes(page, self._recheck(base_url))

    def _recheck(self, base_url: str | None) -> Any:
        async def run(query: SearchQuery) -> list[StoredVersion]:
            return (await self.inner.search(query, base_url)).matches

        return run

    async def checked_delete(
        self, resource_type: str, id_: str, if_match: int | None
    ) -> StoredVersion | None:
        """Delete on this transaction, unless the resource is hidden (then None, as absent)."""
        self.policy.require("d", resource_type)
        current = await self.inner.read(resource_type, id_)
        if current is None:
            return None
        if not await self.visible(self.inner, "d", current):
            if await self.visible(self.inner, "r", current):
                raise outside_access(f"The token may not delete {current.reference}")
            return None  # hidden: as if absent
        deleted = await self.inner.delete(resource_type, id_, if_match)
        if deleted is not None and deleted.version != current.version:
            # The delete holds the row lock now: judge the version it actually deleted.
            before = await self.inner.vread(resource_type, id_, deleted.version - 1)
            if before is None or not await self.visible(self.inner, "d", before):
                raise outside_access(f"{resource_type}/{id_} changed while it was being deleted")
        return deleted


class PolicyStore(_PolicyView):
    """The ``ResourceStore`` port held to the access policy of one token."""

    def __init__(self, inner: ResourceStore, policy: AccessPolicy) -> None:
        super().__init__(inner, policy)
        self.inner: ResourceStore = inner

    def transaction(self) -> AbstractAsyncContextManager[StoreTransaction]:
        """A unit of work of the real store, every call on it held to the policy."""
        return self._transaction()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[StoreTransaction]:
        async with self.inner.transaction() as tx:
            yield PolicyTransaction(tx, self.policy)

    async def create(
        self, resource_type: str, resource: dict[str, Any], if_none_exist: SearchQuery | None
    ) -> WriteResult:
        condition = self.creatable(resource_type, resource, if_none_exist, None)
        return await self.inner.create(resource_type, resource, condition)

    async def delete(
        self, resource_type: str, id_: str, if_match: int | None
    ) -> StoredVersion | None:
        self.policy.require("d", resource_type)
        async with self.inner.transaction() as tx:
            guarded = PolicyTransaction(tx, self.policy)
            return await guarded.checked_delete(resource_type, id_, if_match)

    async def history(
        self,
        resource_type: str | None,
        id_: str | None,
        since: datetime | None,
        count: int,
        cursor: int | None,
    ) -> HistoryPage:
        interaction: Interaction = "r" if id_ is not None else "s"
        restricted = self.history_scope(interaction, resource_type)
        page = await self.inner.history(resource_type, id_, since, count, cursor)
        kept = [v for v in page.versions if await self.visible(self.inner, interaction, v)]
        total = None if restricted else page.total
        return HistoryPage(kept, page.next_cursor, total)

    async def search(
        self, query: SearchQuery, cursor: str | None, base_url: str | None = None
    ) -> SearchPage:
        page = await self.inner.search(restrict_search(self.policy, query), cursor, base_url)

        async def recheck(check: SearchQuery) -> list[StoredVersion]:
            return (await self.inner.search(check, None, base_url)).matches

        return await self.with_visible_includes(page, recheck)
