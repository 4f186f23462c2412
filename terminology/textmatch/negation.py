"""Spotting text that says an ingredient is absent ('dairy-free', 'no nuts', 'decaf coffee').

A free-from claim never removes a match: products labelled free-from can still contain the
allergen (cross-contact, 'non-dairy' creamers with caseinate), so the match is only lowered to
``possible`` and says why. Only the words right next to the term count, so 'fat-free milk' and
'lactose-free milk' stay milk.
"""

from __future__ import annotations

from collections.abc import Sequence

NEGATION_NOTE = (
    "the text says it is absent ('free', 'no', 'without'); free-from claims are not guarantees"
)

_BEFORE = frozenset({"no", "non", "without", "zero", "decaf", "decaffeinated", "nonalcoholic"})
_AFTER = frozenset({"free"})


def said_absent(keys: Sequence[str], first: int, last: int) -> bool:
    """True when the words around ``keys[first:last + 1]`` deny the term ('X free', 'no X')."""
    if last + 1 < len(keys) and keys[last + 1] in _AFTER:
        return True
    if first >= 1 and keys[first - 1] in _BEFORE:
        return True
    return first >= 2 and keys[first - 2] == "free" and keys[first - 1] in ("from", "of")
