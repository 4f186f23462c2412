"""Text-level helpers for SearchParameter expressions: union branches and their type prefix.

R4 writes multi-base parameters as one union, ``AllergyIntolerance.patient | CarePlan.subject...``.
Splitting it per base lets extraction evaluate only the branch of the resource's own type.
"""

from __future__ import annotations

import re

_LEADING_NAME = re.compile(r"^\s*(\(\s*)*([A-Za-z][A-Za-z0-9]*)")
_QUOTES = frozenset("'`")


def split_union(expression: str) -> tuple[str, ...]:
    """The top-level ``|`` branches of an expression, stripped (one branch if it is no union).

    Bars inside parentheses, brackets, braces, strings and delimited identifiers do not split.
    """
    if "|" not in expression:
        return (expression.strip(),) if expression.strip() else ()
    branches: list[str] = []
    depth = 0
    quote: str | None = None
    start = 0
    index = 0
    while index < len(expression):
        char = expression[index]
        if quote is not None:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in _QUOTES:
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(expression[start:index].strip())
            start = index + 1
        index += 1
    branches.append(expression[start:].strip())
    return tuple(branch for branch in branches if branch)


def leading_name(branch: str) -> str | None:
    """The first identifier of a branch, looking through opening parentheses.

    ``(Observation.value as Quantity)`` gives ``Observation``; ``name`` gives ``name``.
    """
    match = _LEADING_NAME.match(branch)
    return match.group(2) if match else None


def with_leading_name(branch: str, name: str) -> str:
    """The branch with its first identifier replaced (``Resource.id`` -> ``Patient.id``)."""
    match = _LEADING_NAME.match(branch)
    if match is None:
        return branch
    return branch[: match.start(2)] + name + branch[match.end(2) :]


_AS_OPERATOR = re.compile(
    r"(^|\()(\s*)([A-Za-z_][A-Za-z0-9_.]*)\s+as\s+([A-Za-z][A-Za-z0-9_.]*)(\s*)(?=\)|$)"
)
_AS_FUNCTION = re.compile(r"\.as\(")
_FHIR_PRIMITIVE = {"DateTime": "dateTime", "Date": "date", "String": "string", "Boolean": "boolean"}
_SYSTEM_TYPE = re.compile(r"\.ofType\((DateTime|Date|String|Boolean)\)")


def lenient_as(expression: str) -> str:
    """``as`` rewritten as ``ofType``, for search expressions applied to collections.

    R4 writes ``(Observation.component.value as Quantity)`` over many components, but FHIRPath
    (and fhirpathpy) require a single item before ``as``; R5 rewrote these with ``ofType``. Only
    the safe forms are rewritten: the ``.as(T)`` function, and ``path as T`` when it is a whole
    expression or a whole parenthesised group, where the two differ only in that check.
    System type names there (``value.as(DateTime)``) are read as the FHIR primitive they mean.
    """
    rewritten = _AS_FUNCTION.sub(".ofType(", expression)
    rewritten = _AS_OPERATOR.sub(r"\1\2\3.ofType(\4)\5", rewritten)
    return _SYSTEM_TYPE.sub(lambda m: f".ofType({_FHIR_PRIMITIVE[m.group(1)]})", rewritten)
