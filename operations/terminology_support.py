"""What the terminology operations share: reading CodeSystem, ValueSet and ConceptMap
resources from the store (through the caller's view of it) in front of the shipped content,
and reading a coding from the parameters.

https://hl7.org/fhir/R4/terminology-service.html
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from operations.base import OperationContext
from operations.parameters import Parameters
from resources import error_codes, fhir_json
from resources.errors import Gone, Invalid, NotFound
from resources.search.parse import parse_search
from resources.search.registry import default_registry
from terminology.codesystems import Overlay, catalog
from terminology.codesystems.concepts import CodeSystemIndex
from terminology.codesystems.sources import gather, split_canonical

Json = Mapping[str, Any]


@dataclass(frozen=True)
class Coding:
    """A code and where it is from, as a request gives it."""

    code: str
    system: str | None = None
    version: str | None = None
    display: str | None = None


def bad_input(message: str, parameter: str | None = None) -> Invalid:
    """An ``Invalid`` about the operation's input."""
    where = (f"Parameters.parameter.{parameter}",) if parameter else ()
    return Invalid(message, error_codes.TERMINOLOGY_BAD_INPUT, where)


def coding_of(params: Parameters, code: str = "code", coding: str = "coding") -> Coding | None:
    """The coding given as ``code``/``system``/``version``/``display`` or as a Coding."""
    given = params.value(coding)
    if isinstance(given, Mapping):
        if not isinstance(given.get("code"), str):
            raise bad_input(f"The {coding} has no code", coding)
        return Coding(
            given["code"], given.get("system"), given.get("version"), given.get("display")
        )
    value = params.value(code)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise bad_input(f"{code} must be a non-empty code", code)
    return Coding(value, params.value("system"), params.value("version"), params.value("display"))


def codings_of(concept: object) -> list[Coding]:
    """The codings of a CodeableConcept parameter value."""
    if not isinstance(concept, Mapping):
        raise bad_input("codeableConcept must be a CodeableConcept", "codeableConcept")
    found = [
        Coding(c["code"], c.get("system"), c.get("version"), c.get("display"))
        for c in concept.get("coding", [])
        if isinstance(c, Mapping) and isinstance(c.get("code"), str)
    ]
    if not found:
        raise bad_input("codeableConcept has no coding with a code", "codeableConcept")
    return found


async def instance(ctx: OperationContext) -> dict[str, Any]:
    """The resource an instance-level invocation names (404, 410 when it is not there)."""
    resource_type, id_ = ctx.instance()
    stored = await ctx.store.read(resource_type, id_)
    if stored is None:
        raise NotFound(f"{resource_type}/{id_} is not known", error_codes.RESOURCE_NOT_FOUND)
    if stored.deleted or stored.body is None:
        raise Gone(f"{stored.reference} was deleted", error_codes.RESOURCE_GONE)
    resource: dict[str, Any] = fhir_json.loads(stored.body)
    return resource


async def stored(ctx: OperationContext, resource_type: str, url: str) -> list[dict[str, Any]]:
    """The current stored resources of a type with this canonical URL (any version)."""
    query = parse_search((resource_type,), [("url", url), ("_count", "20")], default_registry())
    page = await ctx.store.search(query, None, ctx.base_url)
    return [fhir_json.loads(v.body) for v in page.matches if v.body is not None]


async def overlay(ctx: OperationContext, *resources: Json) -> Overlay:
    """Shipped content with ``resources`` and every stored resource they refer to (value set
    imports, code systems) in front."""

    async def fetch(kind: str, url: str) -> list[Json]:
        return list(await stored(ctx, kind, url))

    return await gather(catalog(), fetch, *resources)


async def code_system_for(
    ctx: OperationContext, system: str | None, version: str | None, parameter: str = "system"
) -> CodeSystemIndex:
    """The code system named by the request (the instance at instance level), else 404."""
    if ctx.id is not None:
        resource = await instance(ctx)
        sources = await overlay(ctx, resource)
        found = sources.code_system(str(resource.get("url")), resource.get("version"))
    else:
        if not system:
            raise bad_input(f"Name the code system with {parameter!r}", parameter)
        shipped = catalog().code_system(system) if version is None else None
        if shipped is not None:  # a stored one of the same URL would not be chosen anyway
            return shipped
        sources = await overlay(ctx)
        for resource in await stored(ctx, "CodeSystem", system):
            sources.add(resource)
        found = sources.code_system(system, version)
    if found is None:
        name = system if ctx.id is None else f"CodeSystem/{ctx.id}"
        raise NotFound(f"Code system {name} is not known to this server",
                       error_codes.UNKNOWN_CODE_SYSTEM)  # fmt: skip
    return found


async def value_set_for(ctx: OperationContext, params: Parameters) -> tuple[Json, Overlay]:
    """The value set named by the request: the instance, ``url`` or a ``valueSet`` resource."""
    if ctx.id is not None:
        value_set: Json = await instance(ctx)
    elif isinstance(params.value("valueSet"), Mapping):
        value_set = params.value("valueSet")
    else:
        url = params.value("url")
        if not isinstance(url, str) or not url:
            raise bad_input("Name the value set with 'url' or send it as 'valueSet'", "url")
        base, version = split_canonical(url)
        version = version or params.value("valueSetVersion")
        sources = await overlay(ctx)
        if catalog().value_set(base, version) is None:  # shipped ones need no query
            for resource in await stored(ctx, "ValueSet", base):
                sources.add(resource)
        found = sources.value_set(base, version)
        if found is None:
            raise NotFound(f"Value set {url} is not known to this server",
                           error_codes.UNKNOWN_VALUE_SET)  # fmt: skip
        value_set = found
    return value_set, await overlay(ctx, value_set)
