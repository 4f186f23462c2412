"""The target record shared by the DRI tables and the condition targets."""

from __future__ import annotations

from dataclasses import dataclass

LIMIT_KINDS = frozenset({"ul", "cdrr", "limit"})


@dataclass(frozen=True)
class Target:
    """A daily target for one nutrient.

    ``kind``: ``rda``/``ai`` (reach at least ``low``), ``ul``/``cdrr``/``limit`` (stay at or
    below ``high``), ``amdr`` (a % of energy range), ``goal`` (a range), ``individualised``
    (no single number; see ``note``). ``condition`` is None for the general DRI.
    """

    nutrient: str
    kind: str
    low: float | None
    high: float | None
    unit: str
    source: str
    citation: str
    condition: str | None = None
    note: str = ""
