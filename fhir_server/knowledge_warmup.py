"""The food, allergen and medication knowledge loaded at start, in a background thread (with
``analyze_food_preload``, as the photo and voice models are).

Each is loaded on first use otherwise: the first meal analysed, the first interaction check
or the first medication written after a start (its safety re-check) waited for it, about a
second on an idle 2-core machine.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from fhir_server.settings import Settings
from operations.safety.foods import spelling
from terminology.allergens.vocabulary import vocabulary
from terminology.foods.lookup import food_lookup
from terminology.interactions.knowledge import knowledge_base
from terminology.medications.knowledge import medication_knowledge

log = logging.getLogger(__name__)
LOADERS: tuple[Callable[[], Any], ...] = (
    food_lookup,
    medication_knowledge,
    spelling,
    vocabulary,
    knowledge_base,
)
"""Each loads once (``functools.cache``) and is shared by every request of the process."""


def warm_knowledge(settings: Settings) -> threading.Thread | None:
    """Start loading the knowledge in a daemon thread; None when preloading is off."""
    if not settings.analyze_food_preload:
        return None
    thread = threading.Thread(target=_load, name="knowledge-warmup", daemon=True)
    thread.start()
    return thread


def _load() -> None:
    for load in LOADERS:
        try:
            load()
        except Exception:  # loaded again, and reported, on first use
            log.exception("could not preload %s", getattr(load, "__qualname__", load))
