"""``ConceptMap/$translate``: a code in one system to its equivalents in another.

https://hl7.org/fhir/R4/conceptmap-operation-translate.html. The maps searched: the instance,
``url``, a ``conceptMap`` resource, or every stored and shipped map whose source/target value
sets and group systems agree with ``source``, ``target`` and ``targetsystem``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from operations.base import OperationContext, OperationResult, parameters_resource
from operations.parameters import Parameters
from operations.terminology_support import (
    bad_input,
    coding_of,
    codings_of,
    instance,
    overlay,
    stored,
)
from resources import error_codes, fhir_json
from resources.errors import NotFound
from resources.search.parse import parse_search
from resources.search.registry import default_registry
from terminology.codesystems.conceptmaps import Match, Request, candidate_maps, translate

DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "ConceptMap-translate",
    "url": "http://hl7.org/fhir/OperationDefinition/ConceptMap-translate",
    "name": "Concept Translation",
    "status": "active",
    "kind": "operation",
    "code": "translate",
    "resource": ["ConceptMap"],
    "system": False,
    "type": True,
    "instance": True,
    "affectsState": False,
    "parameter": [
        {"name": "url", "use": "in", "min": 0, "max": "1", "type": "uri"},
        {"name": "conceptMap", "use": "in", "min": 0, "max": "1", "type": "ConceptMap"},
        {"name": "conceptMapVersion", "use": "in", "min": 0, "max": "1", "type": "string"},
        {"name": "code", "use": "in", "min": 0, "max": "1", "type": "code"},
        {"name": "system", "use": "in", "min": 0, "max": "1", "type": "uri"},
        {"name": "version", "use": "in", "min": 0, "max": "1", "type": "string"},
        {"name": "source", "use": "in", "min": 0, "max": "1", "type": "uri"},
        {"name": "coding", "use": "in", "min": 0, "max": "1", "type": "Coding"},
        {"name": "codeableConcept", "use": "in", "min": 0, "max": "1", "type": "CodeableConcept"},
        {"name": "target", "use": "in", "min": 0, "max": "1", "type": "uri"},
        {"name": "targetsystem", "use": "in", "min": 0, "max": "1", "type": "uri"},
        {"name": "reverse", "use": "in", "min": 0, "max": "1", "type": "boolean"},
        {"name": "result", "use": "out", "min": 1, "max": "1", "type": "boolean"},
        {"name": "message", "use": "out", "min": 0, "max": "1", "type": "string"},
        {"name": "match", "use": "out", "min": 0, "max": "*"},
    ],
}


async def _maps(ctx: OperationContext, params: Parameters) -> tuple[list[Mapping[str, Any]], bool]:
    """The maps to search, and whether the request named them (url, resource, instance)."""
    if ctx.id is not None:
        return [await instance(ctx)], True
    given = params.value("conceptMap")
    if isinstance(given, Mapping):
        return [given], True
    url = params.value("url")
    sources = await overlay(ctx)
    if isinstance(url, str) and url:
        named: list[Mapping[str, Any]] = list(await stored(ctx, "ConceptMap", url))
        named += [m for m in sources.concept_maps() if m.get("url") == url]
        if not named:
            raise NotFound(f"Concept map {url} is not known to this server",
                           error_codes.UNKNOWN_CONCEPT_MAP)  # fmt: skip
        return named[:1], True
    return [*await _all_stored(ctx), *sources.concept_maps()], False


async def _all_stored(ctx: OperationContext) -> list[Mapping[str, Any]]:
    """The stored ConceptMaps (the first 200: a server holds few)."""
    query = parse_search(("ConceptMap",), [("_count", "200")], default_registry())
    page = await ctx.store.search(query, None, ctx.base_url)
    return [fhir_json.loads(v.body) for v in page.matches if v.body is not None]


def _requests(params: Parameters) -> list[Request]:
    if params.has("codeableConcept"):
        codings = codings_of(params.value("codeableConcept"))
    else:
        coding = coding_of(params)
        if coding is None:
            raise bad_input(
                "$translate needs a code (with system), a coding or a codeableConcept", "code"
            )
        codings = [coding]
    reverse = params.value("reverse") is True
    return [
        Request(c.code, c.system, params.value("source"), params.value("target"),
                params.value("targetsystem"), reverse)
        for c in codings
    ]  # fmt: skip


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """Translate the code(s) with the maps the request selects."""
    requests = _requests(params)
    maps, named = await _maps(ctx, params)
    matches: list[Match] = []
    for request in requests:
        chosen = maps if named else candidate_maps(maps, request)
        matches.extend(translate(chosen, request))
    positive = any(m.positive for m in matches)
    out: list[dict[str, Any]] = [{"name": "result", "valueBoolean": positive}]
    if not positive:
        what = ", ".join(f"{r.system or ''}#{r.code}" for r in requests)
        out.append({"name": "message", "valueString": f"No translation found for {what}"})
    out.extend(m.to_parameter() for m in matches)
    return OperationResult(parameters_resource(out))
