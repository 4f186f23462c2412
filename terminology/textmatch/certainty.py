"""How sure a match is: the name says so, the food usually has it, or it may have it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Certainty = Literal["contains", "likely", "possible"]

CERTAINTY_RANK: dict[Certainty, int] = {"contains": 3, "likely": 2, "possible": 1}


def strongest(values: Iterable[Certainty]) -> Certainty:
    """The most certain of ``values`` (``possible`` when there are none)."""
    return max(values, key=CERTAINTY_RANK.__getitem__, default="possible")


def weakest(values: Iterable[Certainty]) -> Certainty:
    """The least certain of ``values`` (``contains`` when there are none)."""
    return min(values, key=CERTAINTY_RANK.__getitem__, default="contains")
