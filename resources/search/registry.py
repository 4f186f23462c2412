"""The search-parameter registry: every R4 SearchParameter, NutritionIntake's, and custom ones.

The built-in definitions ship in ``data/search-registry.json.gz`` (made by ``build_registry``)
and are loaded once, lazily, by ``default_registry()``. A registry is immutable: adding a
custom SearchParameter (``with_custom``) returns a new one, so a refresh is one reference swap.
"""

from __future__ import annotations

import functools
import gzip
import importlib.resources
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from resources.search.custom import custom_param
from resources.search.param_def import SearchParamDef, param_from_json

DATA_FILE = Path(__file__).with_name("data") / "search-registry.json.gz"
NON_DOMAIN_RESOURCES: frozenset[str] = frozenset({"Bundle", "Binary", "Parameters"})
"""The resource types that are not DomainResources (no text, contained or extensions)."""

Compartments = Mapping[str, Mapping[str, tuple[str, ...]]]


class SearchRegistry:
    """Search parameters by URL and by (resource type, code), plus compartment membership."""

    def __init__(self, params: Iterable[SearchParamDef], compartments: Compartments) -> None:
        self._params = tuple(params)
        self._by_url = {param.url: param for param in self._params}
        self._by_base: dict[str, dict[str, SearchParamDef]] = {}
        for param in self._params:
            for base in param.base:
                self._by_base.setdefault(base, {})[param.code] = param
        self._compartments = compartments
        self._per_type: dict[str, Mapping[str, SearchParamDef]] = {}

    def __len__(self) -> int:
        return len(self._params)

    def __iter__(self) -> Iterator[SearchParamDef]:
        return iter(self._params)

    def by_url(self, url: str) -> SearchParamDef | None:
        """The parameter with this canonical URL."""
        return self._by_url.get(url)

    def get(self, resource_type: str, code: str) -> SearchParamDef | None:
        """The parameter ``code`` of ``resource_type``, including Resource-level ones (``_id``)."""
        return self.params_for(resource_type).get(code)

    def params_for(self, resource_type: str) -> Mapping[str, SearchParamDef]:
        """Every parameter that applies to ``resource_type``, by code.

        Resource-level parameters come first, then DomainResource-level ones (not for Bundle,
        Binary, Parameters), then the type's own; a more specific one wins on the same code.
        """
        cached = self._per_type.get(resource_type)
        if cached is None:
            merged = dict(self._by_base.get("Resource", {}))
            if resource_type not in NON_DOMAIN_RESOURCES:
                merged.update(self._by_base.get("DomainResource", {}))
            merged.update(self._by_base.get(resource_type, {}))
            cached = self._per_type[resource_type] = MappingProxyType(merged)
        return cached

    @property
    def compartments(self) -> Compartments:
        """Per compartment type (``Patient``, ``Encounter``, ...), per member type, its codes."""
        return self._compartments

    def compartment_params(self, compartment: str, resource_type: str) -> tuple[str, ...]:
        """The parameter codes linking ``resource_type`` to a ``compartment`` (empty: none)."""
        return self._compartments.get(compartment, {}).get(resource_type, ())

    def with_params(self, params: Iterable[SearchParamDef]) -> SearchRegistry:
        """A new registry with these parameters added; one with a known URL replaces it."""
        added = tuple(params)
        urls = {param.url for param in added}
        kept = (param for param in self._params if param.url not in urls)
        return SearchRegistry((*kept, *added), self._compartments)

    def with_custom(self, search_parameter: Mapping[str, Any]) -> SearchRegistry:
        """A new registry with a custom SearchParameter resource, validated first.

        Raises ``resources.errors.Unprocessable`` (NV-0008) naming what is wrong.
        """
        return self.with_params([custom_param(search_parameter, self)])


def registry_from_document(document: Mapping[str, Any]) -> SearchRegistry:
    """Build a registry from the shipped document's JSON (see ``build_registry``)."""
    params = (param_from_json(item) for item in document["parameters"])
    compartments = {
        name: {type_: tuple(codes) for type_, codes in members.items()}
        for name, members in document["compartments"].items()
    }
    return SearchRegistry(params, compartments)


def load_registry() -> SearchRegistry:
    """Read the shipped data file (always a fresh registry; prefer ``default_registry``)."""
    data = importlib.resources.files(__package__).joinpath("data", DATA_FILE.name).read_bytes()
    return registry_from_document(json.loads(gzip.decompress(data)))


@functools.cache
def default_registry() -> SearchRegistry:
    """The built-in registry, loaded on first use and shared afterwards."""
    return load_registry()
