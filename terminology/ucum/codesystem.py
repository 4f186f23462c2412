"""UCUM as a code system: every valid UCUM expression is a code, none can be listed."""

from __future__ import annotations

import functools

from terminology.codesystems.concepts import CodeSystemIndex, Concept
from terminology.ucum.units import is_valid

SYSTEM = "http://unitsofmeasure.org"


class UcumCodeSystem(CodeSystemIndex):
    """Codes are checked by the UCUM grammar; ``enumerable`` is False (no expansion)."""

    enumerable = False

    def get(self, code: str) -> Concept | None:
        """A concept for a valid expression (its display is the expression)."""
        return Concept(code, code) if is_valid(code) else None

    def ancestors(self, code: str) -> set[str]:
        """UCUM has no hierarchy."""
        return set()

    def descendants(self, code: str) -> list[str]:
        """UCUM has no hierarchy."""
        return []


@functools.cache
def code_system() -> CodeSystemIndex:
    """The UCUM code system (version of the ucumvert grammar)."""
    return UcumCodeSystem(
        SYSTEM, version="2.1", name="UCUM", title="Unified Code for Units of Measure"
    )
