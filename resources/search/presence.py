"""A cheap pre-check: a path-like expression on an element the resource lacks gives nothing.

Resources are sparse: a Patient has values for a handful of its ~35 search parameters.
Interpreting each expression costs tens of microseconds; when a branch only navigates from
the resource's top-level element (``Patient.telecom.where(system='phone')``,
``(Observation.value as Quantity)``) and that element is absent, the result is empty
without evaluating anything. Branches whose top level is an operator or a function that can
answer for an absent element (``exists()``, ``empty()``, ``=``, ``and``, ``iif`` ...) are
never skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_HEAD = re.compile(r"^\(*\s*[A-Z][A-Za-z]*\.([a-z][A-Za-z0-9]*)\b(?!\s*\()")
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'")
_TOP_LEVEL_ANSWERS = re.compile(
    r"=|~|<|>|\b(?:and|or|xor|implies|is|not|exists|empty|iif|count|hasValue|all|allTrue"
    r"|anyTrue|allFalse|anyFalse|isDistinct|subsetOf|supersetOf|contains|in)\b"
)


def _top_level(expression: str) -> str:
    """The expression with string literals and parenthesised arguments blanked out."""
    text = _STRING.sub("''", expression)
    depth, kept = 0, []
    for char in text:
        if char == "(":
            depth += 1
            kept.append(char if depth == 1 else " ")
        elif char == ")":
            depth -= 1
            kept.append(char if depth == 0 else " ")
        else:
            kept.append(char if depth == 0 else " ")
    return "".join(kept)


def _unwrapped(expression: str) -> str:
    """``(A as B)`` -> ``A as B``, so a wrapped branch is judged by its content."""
    stripped = expression.strip()
    while stripped.startswith("(") and stripped.endswith(")") and _balanced(stripped[1:-1]):
        stripped = stripped[1:-1].strip()
    return stripped


def _balanced(text: str) -> bool:
    depth = 0
    for char in _STRING.sub("''", text):
        depth += char == "("
        depth -= char == ")"
        if depth < 0:
            return False
    return depth == 0


def required_element(branch: str) -> str | None:
    """The top-level element a path-like branch needs, or None when it must always run."""
    inner = _unwrapped(branch)
    head = _HEAD.match(inner)
    if head is None or _TOP_LEVEL_ANSWERS.search(_top_level(inner)):
        return None
    return head.group(1)


def has_element(resource: Mapping[str, Any], name: str) -> bool:
    """True when the JSON has ``name``, its ``_name`` or a choice ``nameType`` key."""
    if name in resource or f"_{name}" in resource:
        return True
    size = len(name)
    return any(key.startswith(name) and len(key) > size and key[size].isupper() for key in resource)
