"""Each matrix interaction (``tests.scope_matrix.INTERACTIONS``) on a policy store.

An action returns ``("A", versions)`` when allowed, ``("H", versions)`` when the target was
answered as absent; a refusal raises ``Forbidden`` (the caller maps it to ``D``). ``versions``
is everything the answer carried, for the leak scan.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fhir_server.http.bundle_entries import parse_entries
from fhir_server.http.bundle_routes import run_transaction
from fhir_server.http.entry_actions import Context
from fhir_server.http.rest_routes import patch_mutation
from fhir_server.store.policy_store import PolicyStore
from resources.errors import NotFound
from resources.search.parse import parse_search
from resources.search.registry import default_registry
from resources.stored import StoredVersion
from tests.integration.scope_world import BASE, World

Result = tuple[str, list[StoredVersion]]
Action = Callable[[World, PolicyStore, str], Awaitable[Result]]
NOTE = [{"text": "checked"}]


def _found(present: bool, versions: list[StoredVersion]) -> Result:
    return ("A" if present else "H"), versions


def _has(versions: list[StoredVersion], id_: str) -> bool:
    return any(v.id == id_ for v in versions)


async def read(world: World, store: PolicyStore, target: str) -> Result:
    stored = await store.read("Observation", world.ids[target])
    return _found(stored is not None, [stored] if stored else [])


async def vread(world: World, store: PolicyStore, target: str) -> Result:
    stored = await store.vread("Observation", world.ids[target], 1)
    return _found(stored is not None, [stored] if stored else [])


async def _search(store: PolicyStore, types: tuple[str, ...], *params: tuple[str, str]) -> Any:
    query = parse_search(types, list(params), default_registry())
    return await store.search(query, None, BASE)


async def search(world: World, store: PolicyStore, target: str) -> Result:
    page = await _search(
        store, ("Observation",), ("_id", world.ids[target]), ("_total", "accurate")
    )
    assert page.total == len(page.matches)  # totals never count what is hidden
    return _found(_has(page.matches, world.ids[target]), page.matches)


async def include(world: World, store: PolicyStore, target: str) -> Result:
    page = await _search(
        store,
        ("Observation",),
        ("_id", f"{world.ids[target]},{world.ids['mixed']}"),
        ("_include", "Observation:subject"),
        ("_include", "Observation:performer"),
    )
    return _found(_has(page.matches, world.ids[target]), [*page.matches, *page.included])


async def revinclude(world: World, store: PolicyStore, target: str) -> Result:
    page = await _search(
        store,
        ("Patient",),
        ("_id", world.subject_of(target)),
        ("_revinclude", "Observation:subject"),
        ("_revinclude", "Observation:performer"),
    )
    return _found(_has(page.included, world.ids[target]), [*page.matches, *page.included])


async def history(world: World, store: PolicyStore, target: str) -> Result:
    if await store.read("Observation", world.ids[target]) is None:  # as the route does
        return "H", []
    page = await store.history("Observation", world.ids[target], None, 100, None)
    return _found(bool(page.versions), page.versions)


async def type_history(world: World, store: PolicyStore, target: str) -> Result:
    page = await store.history("Observation", None, world.start, 1000, None)
    return _found(_has(page.versions, world.ids[target]), page.versions)


async def create(world: World, store: PolicyStore, target: str) -> Result:
    result = await store.create("Observation", world.copy_of(target), None)
    return "A", [result.stored]


async def update(world: World, store: PolicyStore, target: str) -> Result:
    body = {**world.bodies[target], "note": NOTE}
    result = await store.update("Observation", world.ids[target], lambda _c: body, None, "PUT")
    return "A", [result.stored]


async def patch(world: World, store: PolicyStore, target: str) -> Result:
    mutate = patch_mutation("Observation", lambda document: {**document, "note": NOTE})
    try:
        result = await store.update("Observation", world.ids[target], mutate, None, "PATCH")
    except NotFound:
        return "H", []
    return "A", [result.stored]


async def delete(world: World, store: PolicyStore, target: str) -> Result:
    fresh = await world.raw.create("Observation", world.copy_of(target), None)
    deleted = await store.delete("Observation", fresh.stored.id, None)
    return _found(deleted is not None, [deleted] if deleted else [])


async def transaction(world: World, store: PolicyStore, target: str) -> Result:
    raw = [
        {"request": {"method": "GET", "url": f"Observation/{world.ids[target]}"}},
        {
            "fullUrl": "urn:uuid:0b0e7f5c-6c2e-4d8a-9a43-1d2c3b4a5f60",
            "resource": {"resourceType": "Observation", **world.copy_of(target)},
            "request": {"method": "POST", "url": "Observation"},
        },
    ]
    context = Context(default_registry(), BASE, 20, 100, delete_multiple=False)
    try:
        async with store.transaction() as tx:
            results = await run_transaction(tx, parse_entries(raw, BASE), context)
    except NotFound:
        return "H", []
    return "A", [result.stored for result in results if result.stored is not None]


ACTIONS: dict[str, Action] = {
    "read": read,
    "vread": vread,
    "search": search,
    "include": include,
    "revinclude": revinclude,
    "history": history,
    "type_history": type_history,
    "create": create,
    "update": update,
    "patch": patch,
    "delete": delete,
    "transaction": transaction,
}
