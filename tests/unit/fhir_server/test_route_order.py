"""The hot routes come first in the route table and change no request's route: every path a
later route answers (and the paths at the edges of the hot routes' patterns) is dispatched to
the same endpoint with them as without them."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match

from conformance.guide import PUBLISHED_TYPES
from fhir_server.http.app import HOT_ROUTES, create_app
from fhir_server.settings import Settings

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SAMPLES = {
    "type": ("Observation", "Patient", "AuditEvent", "NutritionProduct", "patient", "Foo"),
    "id": ("x1", "a.b-C", "bad$id", "_history", "$everything"),
    "op": ("$everything", "$export"),
    "member": ("Observation", "_history", "$everything"),
    "vid": ("2",),
}
EDGES = (
    "/fhir",
    "/fhir/",
    "/fhir/metadata",
    "/fhir/_history",
    "/fhir/_search",
    "/fhir/$export",
    "/fhir/Patient/_history",
    "/fhir/Patient/_search",
    "/fhir/Patient/$everything",
    "/fhir/Patient/p1/$everything",
    "/fhir/AuditEvent",
    "/fhir/AuditEventX",
    "/fhir/AuditEvent/a1",
    "/fhir/NutritionProduct/n1",
    "/fhir/StructureDefinition/s1",
    "/fhir/StructureDefinitionX/s1",
    "/fhir/.well-known/smart-configuration",
    "/fhir/_bulk-status/j1",
    "/fhir/Patient/" + "x" * 65,
)


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> list[BaseRoute]:
    data: Path = tmp_path_factory.mktemp("data")
    settings = Settings(data_dir=data, auth_required=False, analyze_food_preload=False)
    app = create_app(
        settings, "postgresql+psycopg://nobody@127.0.0.1:1/none", "redis://127.0.0.1:1"
    )
    return list(app.router.routes)


def _samples(path: str) -> list[str]:
    """The path with each parameter replaced by sample values, in every combination."""
    names = re.findall(r"{([a-z]+)(?::([a-z_]+))?}", path)
    choices = [
        (min(PUBLISHED_TYPES),) if convertor == "conformance_type" else SAMPLES.get(name, ("x1",))
        for name, convertor in names
    ]
    template = re.sub(r"{[^}]+}", "{}", path)
    return [template.format(*values) for values in itertools.product(*choices)]


def _first(routes: list[BaseRoute], method: str, path: str) -> BaseRoute | None:
    scope: dict[str, Any] = {"type": "http", "method": method, "path": path, "root_path": ""}
    return next((r for r in routes if r.matches(scope)[0] == Match.FULL), None)


def _endpoint(route: BaseRoute | None) -> object:
    return route.endpoint if isinstance(route, APIRoute) else None


def test_the_hot_routes_come_first(routes: list[BaseRoute]) -> None:
    hot = routes[: len(HOT_ROUTES)]
    for method, path in (
        ("GET", "/fhir/Observation"),
        ("GET", "/fhir/Patient/p1"),
        ("POST", "/fhir/Observation"),
        ("PUT", "/fhir/Observation/o1"),
        ("POST", "/fhir"),
    ):
        assert _first(routes, method, path) in hot, (method, path)


def test_no_request_changes_route(routes: list[BaseRoute]) -> None:
    rest = routes[len(HOT_ROUTES) :]
    paths = {p for r in rest if isinstance(r, APIRoute) for p in _samples(r.path)}
    paths.update(EDGES)
    assert len(paths) > 150
    changed = [
        (method, path)
        for path in sorted(paths)
        for method in METHODS
        if _endpoint(_first(routes, method, path)) is not _endpoint(_first(rest, method, path))
    ]
    assert not changed
