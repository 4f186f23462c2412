"""``SearchParamDef``: the fields of a SearchParameter that search needs, read from its JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard, get_args

from resources.search.expressions import leading_name, split_union, with_leading_name

SearchParamType = Literal[
    "number", "date", "string", "token", "reference", "composite", "quantity", "uri", "special"
]
PARAM_TYPES: frozenset[str] = frozenset(get_args(SearchParamType))
ABSTRACT_BASES: tuple[str, ...] = ("DomainResource", "Resource")
"""Bases that stand for every resource type (DomainResource: all but Bundle, Binary, Parameters)."""


@dataclass(frozen=True, slots=True)
class Component:
    """One part of a composite parameter: another parameter's URL and a relative expression."""

    definition: str
    expression: str


@dataclass(frozen=True, slots=True)
class SearchParamDef:
    """A SearchParameter as search uses it.

    ``expression`` is the full FHIRPath expression; ``base_expressions`` gives, per base, the
    union branches that start with that base's name (all of ``expression`` when it is not a union
    of type-prefixed paths), so extraction for one type evaluates only its own branch.
    """

    url: str
    code: str
    type: SearchParamType
    base: tuple[str, ...]
    expression: str | None
    base_expressions: tuple[tuple[str, str], ...] = ()
    target: tuple[str, ...] = ()
    modifier: tuple[str, ...] = ()
    comparator: tuple[str, ...] = ()
    multiple_or: bool | None = None
    multiple_and: bool | None = None
    component: tuple[Component, ...] = ()
    chain: tuple[str, ...] = ()

    def expression_for(self, resource_type: str) -> str | None:
        """The expression that applies to ``resource_type``, or None if none does.

        For a ``Resource``/``DomainResource`` parameter the abstract type name at the head of
        each branch is replaced by the concrete one (``Resource.id`` -> ``Patient.id``), since
        the FHIRPath engine matches a leading type name against the resource's own type.
        """
        for base, expression in self.base_expressions:
            if base == resource_type:
                return expression
        for base, expression in self.base_expressions:
            if base in ABSTRACT_BASES:
                return _retyped(expression, base, resource_type)
        return None


def _retyped(expression: str, abstract: str, resource_type: str) -> str:
    branches = split_union(expression)
    renamed = (
        with_leading_name(branch, resource_type) if leading_name(branch) == abstract else branch
        for branch in branches
    )
    return " | ".join(renamed)


def per_base_expressions(
    expression: str | None, bases: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    """Split a union expression into the branches of each base (see ``SearchParamDef``).

    If any branch does not start with one of the bases (``name | alias``), every base keeps the
    whole expression: evaluating it is always correct, splitting only saves work.
    """
    if not expression:
        return ()
    branches = split_union(expression)
    names = [leading_name(branch) for branch in branches]
    if any(name not in bases for name in names):
        return tuple((base, expression) for base in bases)
    split: list[tuple[str, str]] = []
    for base in bases:
        own = [branch for branch, name in zip(branches, names, strict=True) if name == base]
        if own:
            split.append((base, " | ".join(own)))
    return tuple(split)


def param_from_json(resource: Mapping[str, Any]) -> SearchParamDef:
    """Read a SearchParameter resource (or the registry's compact form of one).

    Raises ``ValueError`` naming the element when a field has the wrong shape.
    """
    base = _strings(resource, "base")
    expression = _optional_string(resource, "expression")
    return SearchParamDef(
        url=_string(resource, "url"),
        code=_string(resource, "code"),
        type=_param_type(resource.get("type")),
        base=base,
        expression=expression,
        base_expressions=per_base_expressions(expression, base),
        target=_strings(resource, "target"),
        modifier=_strings(resource, "modifier"),
        comparator=_strings(resource, "comparator"),
        multiple_or=_optional_bool(resource, "multipleOr"),
        multiple_and=_optional_bool(resource, "multipleAnd"),
        component=tuple(_component(item) for item in _list(resource, "component")),
        chain=_strings(resource, "chain"),
    )


def param_to_json(param: SearchParamDef) -> dict[str, Any]:
    """The compact JSON form kept in the shipped registry (empty fields left out)."""
    data: dict[str, Any] = {"url": param.url, "code": param.code, "type": param.type}
    data["base"] = list(param.base)
    optional: dict[str, Any] = {
        "expression": param.expression,
        "target": list(param.target),
        "modifier": list(param.modifier),
        "comparator": list(param.comparator),
        "multipleOr": param.multiple_or,
        "multipleAnd": param.multiple_and,
        "component": [
            {"definition": c.definition, "expression": c.expression} for c in param.component
        ],
        "chain": list(param.chain),
    }
    data.update({key: value for key, value in optional.items() if value not in (None, [])})
    return data


def _is_param_type(value: object) -> TypeGuard[SearchParamType]:
    return isinstance(value, str) and value in PARAM_TYPES


def _param_type(value: object) -> SearchParamType:
    if not _is_param_type(value):
        raise ValueError(f"SearchParameter.type: {value!r} is not one of {sorted(PARAM_TYPES)}")
    return value


def _component(item: object) -> Component:
    if not isinstance(item, Mapping):
        raise ValueError("SearchParameter.component: each component must be an object")
    return Component(_string(item, "definition"), _string(item, "expression"))


def _string(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"SearchParameter.{key}: a non-empty string is required")
    return value


def _optional_string(data: Mapping[str, Any], key: str) -> str | None:
    return _string(data, key) if key in data else None


def _optional_bool(data: Mapping[str, Any], key: str) -> bool | None:
    value = data.get(key)
    if value is not None and not isinstance(value, bool):
        raise ValueError(f"SearchParameter.{key}: a boolean is required")
    return value


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ValueError(f"SearchParameter.{key}: a list is required")
    return value


def _strings(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    items = _list(data, key)
    if not all(isinstance(item, str) and item for item in items):
        raise ValueError(f"SearchParameter.{key}: every item must be a non-empty string")
    return tuple(items)
