"""A real store on the test database, seen through access policies: the data the scope tests
share and the calls that act on it (one per interaction of ``tests.scope_matrix``)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from fhir_server.crypto.runtime import open_keys
from fhir_server.db import migrate
from fhir_server.db.engine import create_engine
from fhir_server.embedded import ServiceUrls
from fhir_server.settings import Settings
from fhir_server.store.fast_reads import FastReader
from fhir_server.store.policy_store import PolicyStore
from fhir_server.store.resource_store import PostgresResourceStore
from resources import fhir_json
from resources.identity import now
from resources.ports import Mutation
from resources.search.registry import default_registry
from smart_auth.context import AccessContext
from smart_auth.policy import AccessPolicy
from tests.scope_matrix import CATEGORY, TOKENS

BASE = "http://scopes.test/fhir"


def observation(subject: str, category: str, **extra: Any) -> dict[str, Any]:
    """An Observation of ``subject`` (``Patient/x``) in ``category``."""
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]},
        "subject": {"reference": subject},
        "category": [{"coding": [{"system": CATEGORY, "code": category}]}],
        **extra,
    }


@dataclass
class World:
    """The shared data: ``ids`` by role, the bodies they were created with, and the store."""

    raw: PostgresResourceStore
    runner: asyncio.Runner
    start: datetime
    ids: dict[str, str] = field(default_factory=dict)
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)

    def run(self, coroutine: Any) -> Any:
        """Run a coroutine on the store's event loop."""
        return self.runner.run(coroutine)

    def access(self, token: str) -> AccessContext:
        """The ``AccessContext`` of a matrix token for this data."""
        spec = TOKENS[token]
        fhir_user = spec.fhir_user.format(doc=self.ids["doc"]) if spec.fhir_user else None
        patient = self.ids["me"] if spec.patient else None
        return AccessContext(f"client-{token}", spec.scopes, "user-1", fhir_user, patient)

    def store(self, token: str | AccessContext) -> PolicyStore:
        """The store held to a token's policy."""
        access = self.access(token) if isinstance(token, str) else token
        return PolicyStore(self.raw, AccessPolicy(access, default_registry()))

    def subject_of(self, target: str) -> str:
        """The id of the patient a target Observation is about."""
        return self.ids["other_patient" if target == "other" else "me"]

    def copy_of(self, target: str) -> dict[str, Any]:
        """A new Observation with the target's subject and category."""
        return {k: v for k, v in self.bodies[target].items() if k not in ("id", "meta")}

    def hidden_keys(self, roles: frozenset[str]) -> set[tuple[str, str]]:
        """(type, id) of the roles that must stay hidden."""
        types = {"other_patient": "Patient", "me": "Patient", "doc": "Practitioner"}
        return {(types.get(role, "Observation"), self.ids[role]) for role in roles}


def _constant(body: dict[str, Any]) -> Mutation:
    return lambda _current: body


async def _seed(raw: PostgresResourceStore, world: World) -> None:
    run = uuid.uuid4().hex[:10]
    world.ids.update(me=f"sc{run}-me", other_patient=f"sc{run}-pat", doc=f"sc{run}-doc")
    for role, type_ in (("me", "Patient"), ("other_patient", "Patient"), ("doc", "Practitioner")):
        body: dict[str, Any] = {"resourceType": type_, "id": world.ids[role], "active": True}
        await raw.update(type_, world.ids[role], _constant(body), None, "PUT")
    me, other = f"Patient/{world.ids['me']}", f"Patient/{world.ids['other_patient']}"
    performer = [{"reference": f"Practitioner/{world.ids['doc']}"}]
    made = {
        "own": observation(me, "laboratory", performer=performer),
        "vital": observation(me, "vital-signs"),
        "other": observation(other, "laboratory"),
        "mixed": observation(other, "laboratory", performer=[{"reference": me}]),
    }
    for role, body in made.items():
        result = await raw.create("Observation", body, None)
        world.ids[role] = result.stored.id
        world.bodies[role] = fhir_json.loads(result.stored.body or b"{}")


def open_world(services: ServiceUrls) -> Iterator[World]:
    """Migrate, open a store on its own event loop, seed the data; close it all afterwards."""
    migrate.upgrade(services.database_url)
    with asyncio.Runner() as runner:
        engine = create_engine(services.database_url, 4)
        keys = runner.run(open_keys(Settings(), engine))  # bodies are sealed at rest
        reader = FastReader(services.database_url, 2)
        runner.run(reader.open())
        raw = PostgresResourceStore(engine, reader)
        world = World(raw, runner, now())
        try:
            runner.run(_seed(raw, world))
            yield world
        finally:
            runner.run(reader.close())
            runner.run(keys.close())
            runner.run(engine.dispose())


@pytest.fixture(scope="module")
def world(services: ServiceUrls) -> Iterator[World]:
    """The seeded data and a store on the test database."""
    yield from open_world(services)
