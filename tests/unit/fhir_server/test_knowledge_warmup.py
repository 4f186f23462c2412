"""The food, allergen and medication knowledge is loaded at start when preloading is on, and
left to first use when it is off."""

from __future__ import annotations

from typing import Any

import pytest

from fhir_server.knowledge_warmup import LOADERS, warm_knowledge
from fhir_server.settings import Settings


def _loaded() -> list[int]:
    caches: list[Any] = list(LOADERS)
    return [cache.cache_info().currsize for cache in caches]


@pytest.fixture
def cold() -> None:
    """Every loader's cache empty (they load again, as on a fresh start, when next used)."""
    caches: list[Any] = list(LOADERS)
    for cache in caches:
        cache.cache_clear()


@pytest.mark.usefixtures("cold")
def test_preloading_loads_every_knowledge_base_in_the_background() -> None:
    thread = warm_knowledge(Settings(analyze_food_preload=True))
    assert thread is not None
    assert thread.daemon
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert _loaded() == [1] * len(LOADERS)


@pytest.mark.usefixtures("cold")
def test_without_preloading_nothing_is_loaded_at_start() -> None:
    assert warm_knowledge(Settings(analyze_food_preload=False)) is None
    assert _loaded() == [0] * len(LOADERS)
