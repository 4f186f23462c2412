"""The checks ``PolicyStore`` and ``PolicyTransaction`` share: visibility of one stored
version, write guards, and the policy applied to included resources (see ``policy_store``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Protocol

import orjson

from resources import error_codes
from resources.errors import Forbidden, NotFound
from resources.ports import Mutation
from resources.search.query import AllOf, Expr, IdMatch, SearchQuery
from resources.stored import Method, SearchPage, StoredVersion
from smart_auth.policy import NOTHING, AccessPolicy, insufficient_scope_headers
from smart_auth.scopes import Interaction
from smart_auth.search_restriction import restrict_condition

Recheck = Callable[[SearchQuery], Awaitable[list[StoredVersion]]]


class Reader(Protocol):
    """What visibility checks read: the store or an open transaction."""

    async def read(self, resource_type: str, id_: str) -> StoredVersion | None:
        """The current version."""

    async def vread(self, resource_type: str, id_: str, version: int) -> StoredVersion | None:
        """One version."""


def parsed(stored: StoredVersion) -> dict[str, Any]:
    """A stored body as JSON, for the policy's checks only (orjson: four times faster than
    ``fhir_json.loads``, and the decimals it keeps exactly play no part in a check)."""
    document: dict[str, Any] = orjson.loads(stored.body or b"{}")
    return document


def patch_absent(resource_type: str) -> NotFound:
    """The 404 of a PATCH on a missing resource, word for word (``rest_routes``)."""
    return NotFound(f"The {resource_type} to patch is not known", error_codes.RESOURCE_NOT_FOUND)


def outside_access(message: str) -> Forbidden:
    """The 403 of a write the token may not make (NV-0152)."""
    return Forbidden(
        message, error_codes.SCOPE_WRITE_OUTSIDE_ACCESS, headers=insufficient_scope_headers()
    )


def visible_ids_query(resource_type: str, ids: list[str], restriction: Expr) -> SearchQuery:
    """The search that keeps, of ``ids``, those matching ``restriction``."""
    return SearchQuery((resource_type,), AllOf((IdMatch(tuple(ids)), restriction)), count=len(ids))


class PolicyGuard:
    """A policy and the checks made with it."""

    def __init__(self, policy: AccessPolicy) -> None:
        self.policy = policy

    async def visible(
        self, reader: Reader, interaction: Interaction, stored: StoredVersion
    ) -> bool:
        """Whether the token may see this version; a deletion is judged by the version it
        deleted (deletions never follow each other, so that is the one before)."""
        restriction = self.policy.restriction(interaction, stored.resource_type)
        if restriction is None:
            return True
        if restriction == NOTHING:
            return False
        if stored.deleted:
            if stored.version <= 1:
                return False
            before = await reader.vread(stored.resource_type, stored.id, stored.version - 1)
            if before is None or before.deleted:
                return False
            stored = before
        return self.policy.permits(interaction, parsed(stored))

    async def checked_read(
        self, reader: Reader, resource_type: str, id_: str
    ) -> StoredVersion | None:
        """The current version, or None when absent or hidden."""
        self.policy.require("r", resource_type)
        stored = await reader.read(resource_type, id_)
        if stored is None or not await self.visible(reader, "r", stored):
            return None
        return stored

    async def checked_vread(
        self, reader: Reader, resource_type: str, id_: str, version: int
    ) -> StoredVersion | None:
        """One version, or None when absent or hidden (each version is judged by itself)."""
        self.policy.require("r", resource_type)
        stored = await reader.vread(resource_type, id_, version)
        if stored is None or not await self.visible(reader, "r", stored):
            return None
        return stored

    def creatable(
        self,
        resource_type: str,
        resource: dict[str, Any],
        if_none_exist: SearchQuery | None,
        id_: str | None,
    ) -> SearchQuery | None:
        """403 unless the token may create this resource; its ``If-None-Exist`` narrowed to
        what the token may read (the match found is returned to the caller)."""
        self.policy.require("c", resource_type)
        document = {**resource, "resourceType": resource_type}
        if id_ is not None:
            document["id"] = id_
        if not self.policy.permits("c", document):
            raise outside_access(f"The token's scopes do not allow creating this {resource_type}")
        if if_none_exist is None:
            return None
        return restrict_condition(self.policy, if_none_exist, "r")

    def guarded(
        self, resource_type: str, id_: str | None, mutate: Mutation, method: Method
    ) -> Mutation:
        """``mutate`` checked on both sides, under the store's row lock: the current version
        must be one the token may update (else 403, but a PATCH of one it cannot even read is
        answered as absent), and the new one must stay within what it may update (and
        create, when it creates)."""
        policy = self.policy

        def check(current: StoredVersion | None) -> dict[str, Any]:
            live = current is not None and not current.deleted
            if current is not None and live:
                before = parsed(current)
                if not policy.permits("u", before):
                    if method == "PATCH" and not policy.permits("r", before):
                        raise patch_absent(resource_type)  # hidden: as if absent
                    raise outside_access(f"The token may not update {current.reference}")
            new = mutate(current)
            target = current.id if current is not None else id_ or new.get("id")
            document = {**new, "resourceType": resource_type, "id": target}
            creates = not live
            if not policy.permits("u", document) or (creates and not policy.permits("c", document)):
                raise outside_access(f"The token's scopes do not allow this {resource_type}")
            return new

        return check

    def history_scope(self, interaction: Interaction, resource_type: str | None) -> bool:
        """403 unless some history is allowed; whether the policy restricts what it shows."""
        if resource_type is not None:
            return self.policy.require(interaction, resource_type) is not None
        if not any(grant.scope.interactions & {"s"} for grant in self.policy.grants):
            raise self.policy.forbidden("s", None)
        return True

    async def with_visible_includes(self, page: SearchPage, recheck: Recheck) -> SearchPage:
        """The page with only the included resources the token may search."""
        if not page.included:
            return page
        by_type: dict[str, list[StoredVersion]] = {}
        for version in page.included:
            by_type.setdefault(version.resource_type, []).append(version)
        allowed: set[tuple[str, str]] = set()
        for resource_type, versions in by_type.items():
            allowed |= await self._allowed(resource_type, versions, recheck)
        kept = [v for v in page.included if (v.resource_type, v.id) in allowed]
        return replace(page, included=kept)

    async def _allowed(
        self, resource_type: str, versions: list[StoredVersion], recheck: Recheck
    ) -> set[tuple[str, str]]:
        restriction = self.policy.restriction("s", resource_type)
        if restriction == NOTHING:
            return set()
        keys = {(v.resource_type, v.id) for v in versions}
        if restriction is None:
            return keys
        found = await recheck(
            visible_ids_query(resource_type, [v.id for v in versions], restriction)
        )
        return {(v.resource_type, v.id) for v in found}
