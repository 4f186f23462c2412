"""A first version's index rows in two parts: those computable before the write, and the rest.

A bulk import computes most of a resource's index rows in a worker process, before the
write gives the version its ``meta.lastUpdated`` (``early_rows``, from a registry without the
late parameters); the write adds the rows of the parameters that read the version's own meta
or every string of the document (``late_rows``): ``_content`` holds the words of
``meta.lastUpdated`` too (``_text`` reads only the narrative). Together they are exactly
``table_rows`` of the stored document: the early part is extracted from the same document
with a stand-in instant, which only the late parameters could see. A type is not split when
a late parameter is a composite (composite rows are numbered across parameters) or leaving
the late ones out would change its other parameters: ``splits`` says so, and its rows are
all extracted at the write.
"""

from __future__ import annotations

import functools
from typing import Any

import orjson

from fhir_server.store.index_statement import json_default
from fhir_server.store.index_writer import NOT_STORED, TableRows, param_table_rows, table_rows
from resources.search.fulltext import CONTENT
from resources.search.param_def import SearchParamDef
from resources.search.registry import SearchRegistry

STAND_IN = "1970-01-01T00:00:00Z"
"""``meta.lastUpdated`` of the document the early rows are extracted from."""
_META_WORDS = ("lastUpdated", "versionId")
_WHOLE_META = frozenset({"meta", "Resource.meta", "DomainResource.meta"})


def _late(param: SearchParamDef, resource_type: str) -> bool:
    """Whether the parameter's values may depend on the version's own meta (its
    ``versionId`` and ``lastUpdated``; ``_tag`` and the like read the body's meta)."""
    if param.code in NOT_STORED:
        return False
    if param.code == CONTENT:
        return True  # every string of the document
    expressions = [param.expression_for(resource_type) or ""]
    expressions += [component.expression for component in param.component]
    return any(
        word in text or text.removeprefix(f"{resource_type}.") in _WHOLE_META
        for text in expressions
        for word in _META_WORDS
    )


@functools.lru_cache(maxsize=1024)
def _late_codes(registry: SearchRegistry, resource_type: str) -> tuple[str, ...]:
    params = registry.params_for(resource_type).values()
    return tuple(param.code for param in params if _late(param, resource_type))


@functools.lru_cache(maxsize=8)
def _early_registry(registry: SearchRegistry) -> SearchRegistry:
    """``registry`` without the parameters that are late for any of their types."""
    late = {param.url for param in registry if any(_late(param, base) for base in param.base)}
    return SearchRegistry((p for p in registry if p.url not in late), registry.compartments)


@functools.lru_cache(maxsize=1024)
def splits(registry: SearchRegistry, resource_type: str) -> bool:
    """Whether the rows of ``resource_type`` can be computed in two parts: the early
    registry has every parameter of the type but the late ones, and no late one is a
    composite."""
    full = registry.params_for(resource_type)
    late = _late_codes(registry, resource_type)
    early = _early_registry(registry).params_for(resource_type)
    wanted = {code: param for code, param in full.items() if code not in late}
    return dict(early) == wanted and all(full[code].type != "composite" for code in late)


def early_rows(
    resource_type: str, id_: str, document: dict[str, Any], registry: SearchRegistry
) -> dict[str, bytes]:
    """The rows of every parameter but the late ones, as one JSON array per table name
    (only for a type that ``splits``).

    ``document`` is the stored document but for ``meta.lastUpdated`` (``STAND_IN``)."""
    early = _early_registry(registry)
    return {
        table.name: orjson.dumps(rows, default=json_default)
        for table, rows in table_rows(resource_type, id_, document, early).items()
    }


def late_rows(
    resource_type: str, id_: str, document: dict[str, Any], registry: SearchRegistry
) -> TableRows:
    """The rows of the late parameters of the stored ``document``."""
    full = registry.params_for(resource_type)
    params = [full[code] for code in _late_codes(registry, resource_type)]
    if not params:
        return {}
    return param_table_rows(resource_type, id_, document, params, registry)


def joined(early: list[bytes], late: list[dict[str, Any]]) -> bytes:
    """One JSON array of early arrays' items and late rows."""
    parts = [array[1:-1] for array in early if array != b"[]"]
    if late:
        parts.append(orjson.dumps(late, default=json_default)[1:-1])
    return b"[" + b",".join(parts) + b"]"
