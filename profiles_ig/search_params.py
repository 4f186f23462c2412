"""The guide's own SearchParameters in the search registry, as built-in as the R4 ones.

The registry in ``resources.search`` ships the R4 and NutritionIntake parameters; ours live in
``source/`` with the rest of the guide, so the composition root starts from ``builtin_registry``:
those plus ours, checked like a custom SearchParameter, always ready (no ``$reindex`` needed
before a search, since every write indexes them from the first start).
"""

from __future__ import annotations

import functools

from profiles_ig.definitions import default_definitions
from resources.search.custom import custom_param
from resources.search.param_def import SearchParamDef
from resources.search.registry import SearchRegistry, default_registry


def guide_search_params() -> tuple[SearchParamDef, ...]:
    """The SearchParameters of our guide, checked against the built-in registry."""
    resources = default_definitions().guide_of_type("SearchParameter")
    return tuple(custom_param(resource, default_registry()) for resource in resources)


@functools.cache
def builtin_registry() -> SearchRegistry:
    """The shipped registry with the guide's parameters added, built once per process."""
    return default_registry().with_params(guide_search_params())


def is_builtin(url: str) -> bool:
    """True for the URL of a built-in parameter (R4, NutritionIntake's, or the guide's)."""
    return builtin_registry().by_url(url) is not None
