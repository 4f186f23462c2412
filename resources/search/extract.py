"""Index values of a resource: each parameter's FHIRPath expression, then a typed conversion.

``extract`` gives one parameter's values, ``extract_all`` every parameter's for the resource's
type. Parameters with no expression give no values (``_query``), nor do ``special`` ones
(``near``): geography is the storage adapter's business. ``_text`` and ``_content`` give the
resource's words instead (``fulltext``).

Every write extracts every parameter of its type, so what does not depend on the resource is
done once: per parameter and resource type, a ``_Plan`` holds the expression for that type, its
compiled form and the converter; per registry and type, the list of plans. A plan also knows
the top-level JSON keys one of which a resource needs for the parameter to give anything
(``needs``, when every branch is a fast path): a resource has values for a handful of its
type's parameters, and one set check skips each of the others. Items of fast-path branches
are converted without an engine item (``Node.handle`` None): only composites' bases need one.
"""

from __future__ import annotations

import functools
import itertools
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from resources.search.dates import date_values
from resources.search.fastpath import PathBranch, node_type
from resources.search.fhirpath import (
    CompiledPath,
    Json,
    Node,
    compile_path,
    fhir_model,
    item_key,
)
from resources.search.fulltext import FULLTEXT_CODES, fulltext_values
from resources.search.numbers import number_values, quantity_values
from resources.search.param_def import SearchParamDef, SearchParamType
from resources.search.references import reference_values, uri_values
from resources.search.registry import SearchRegistry, default_registry
from resources.search.strings import string_values
from resources.search.tokens import token_values
from resources.search.values import CompositeValue, IndexValue, SimpleValue

Converter = Callable[[Node, Json], Sequence[SimpleValue]]
CONVERTERS: dict[SearchParamType, Converter] = {
    "string": string_values,
    "token": token_values,
    "date": date_values,
    "number": number_values,
    "quantity": quantity_values,
    "reference": reference_values,
    "uri": uri_values,
}


@dataclass(frozen=True, slots=True)
class _Plan:
    """What extracting one parameter from resources of one type needs, built once."""

    param: SearchParamDef
    compiled: CompiledPath | None
    """None when the parameter has no expression for the type."""
    fast: tuple[PathBranch | None, ...]
    """Per union branch, its fast form; None: ask ``compiled`` (interpreted, relative)."""
    needs: frozenset[str] | None
    """Top-level keys one of which a resource needs for any value; None: always evaluate."""
    converter: Converter | None

    def nodes(self, resource: Json) -> list[Node]:
        """The items of the expression on the resource, as ``CompiledPath.evaluate`` gives."""
        assert self.compiled is not None
        nodes: list[Node] = []
        model = fhir_model()
        for index, branch in enumerate(self.fast):
            if branch is None:
                nodes.extend(self.compiled.branch_nodes(index, resource, resource, {}))
            else:
                items = branch.items(resource, resource, model)
                nodes.extend(Node(value, node_type(path), None) for value, path in items)
        return nodes


@functools.lru_cache(maxsize=8192)
def _plan(param: SearchParamDef, resource_type: str) -> _Plan:
    expression = param.expression_for(resource_type)
    if expression is None:
        return _Plan(param, None, (), None, None)
    compiled = compile_path(expression)
    fast = compiled.branches
    keys = [branch.first_keys(fhir_model()) if branch else None for branch in fast]
    needs = None if any(k is None for k in keys) else frozenset().union(*filter(None, keys))
    return _Plan(param, compiled, fast, needs, CONVERTERS.get(param.type))


_TYPE_PLANS: weakref.WeakKeyDictionary[SearchRegistry, dict[str, tuple[_Plan, ...]]] = (
    weakref.WeakKeyDictionary()
)


def _type_plans(registry: SearchRegistry, resource_type: str) -> tuple[_Plan, ...]:
    """The plans of every parameter of ``resource_type``, in ``params_for`` order."""
    per_type = _TYPE_PLANS.setdefault(registry, {})
    plans = per_type.get(resource_type)
    if plans is None:
        params = registry.params_for(resource_type).values()
        plans = per_type[resource_type] = tuple(_plan(param, resource_type) for param in params)
    return plans


@dataclass(slots=True)
class _Memo:
    """Work already done during one ``extract_all``: parameters of a resource share much of it
    (``code`` is converted for seven Observation parameters, ``value`` for four).

    Keys name a JSON object of the resource by its ``id``; each entry keeps that object alive,
    so no other object can take its id while the memo lives.
    """

    parts: dict[tuple[str, str, int, str], tuple[object, list[SimpleValue]]] = field(
        default_factory=dict
    )
    """A composite component's values on one item, by (type, expression, ``item_key``)."""
    converted: dict[tuple[Converter, int, str | None], tuple[object, Sequence[SimpleValue]]] = (
        field(default_factory=dict)
    )
    """A converter's values of one fast-path item, by (converter, id of the value, type)."""

    def convert(self, converter: Converter, node: Node, resource: Json) -> Sequence[SimpleValue]:
        """``converter(node, resource)``, once per item: a converter reads only the item's
        value and type (and the resource, the same for the whole memo)."""
        key = (converter, id(node.value), node.type)
        hit = self.converted.get(key)
        if hit is None:
            hit = self.converted[key] = (node.value, converter(node, resource))
        return hit[1]


def _values(
    plan: _Plan, resource: Json, registry: SearchRegistry | None, memo: _Memo
) -> list[IndexValue]:
    param = plan.param
    if plan.compiled is None:
        return list(fulltext_values(resource, param.code)) if param.code in FULLTEXT_CODES else []
    if plan.needs is not None and plan.needs.isdisjoint(resource):
        return []  # the same as evaluating: every branch starts at a key the resource lacks
    if param.type == "composite":
        roots = plan.compiled.evaluate(resource, resource)
        found: list[IndexValue] = list(
            _composites(roots, param, resource, registry or default_registry(), memo)
        )
        return list(dict.fromkeys(found))
    converter = plan.converter
    if converter is None:
        return []
    nodes = plan.nodes(resource)  # fast-path items are the resource's own JSON: memoisable
    found = [v for node in nodes for v in memo.convert(converter, node, resource)]
    return list(dict.fromkeys(found))


def extract(
    resource: Json, param: SearchParamDef, registry: SearchRegistry | None = None
) -> list[IndexValue]:
    """The distinct index values of ``param`` for ``resource``, in document order.

    ``registry`` resolves a composite's component definitions (default: the built-in one).
    Raises ``fhirpath.FhirPathEvaluationError`` if the expression fails on this resource.
    """
    return _values(_plan(param, str(resource.get("resourceType"))), resource, registry, _Memo())


def extract_all(
    resource: Json, registry: SearchRegistry | None = None
) -> dict[str, list[IndexValue]]:
    """Every index value of the resource, by parameter code; codes with no values are left out."""
    registry = registry or default_registry()
    found: dict[str, list[IndexValue]] = {}
    memo = _Memo()
    for plan in _type_plans(registry, str(resource.get("resourceType"))):
        values = _values(plan, resource, registry, memo)
        if values:
            found[plan.param.code] = values
    return found


def simple_values(
    param_type: SearchParamType,
    expression: str,
    root: object,
    resource: Json,
    memo: _Memo | None = None,
) -> list[SimpleValue]:
    """Evaluate ``expression`` on ``root`` and convert each item to ``param_type`` values
    (each item once per ``memo``, when given)."""
    converter = CONVERTERS.get(param_type)
    if converter is None:
        return []
    nodes = compile_path(expression).evaluate(root, resource)
    if memo is None:
        return [value for node in nodes for value in converter(node, resource)]
    return [value for node in nodes for value in memo.convert(converter, node, resource)]


def _composites(
    roots: list[Node],
    param: SearchParamDef,
    resource: Json,
    registry: SearchRegistry,
    memo: _Memo,
) -> list[CompositeValue]:
    """Per root item, every combination of its components' values (none if one is empty)."""
    parts: list[tuple[SearchParamType, str]] = []
    for component in param.component:
        definition = registry.by_url(component.definition)
        if definition is None:
            return []
        parts.append((definition.type, component.expression))
    walks = _walks_only(tuple(expression for _, expression in parts))
    # walked components raise nothing, so the first empty one settles it; the value, last,
    # is the one most often absent (code-value-date on a valueQuantity)
    order = range(len(parts) - 1, -1, -1) if walks else range(len(parts))
    combos: list[CompositeValue] = []
    for root in roots:
        key = item_key(root)
        per_part: list[list[SimpleValue]] = [[] for _ in parts]
        for index in order:
            type_, expression = parts[index]
            if key is None:
                per_part[index] = simple_values(type_, expression, root, resource, memo)
            else:
                per_part[index] = _memoised(memo, type_, expression, root, key, resource)
            if walks and not per_part[index]:
                break
        combos.extend(CompositeValue(combo) for combo in itertools.product(*per_part))
    return combos


@functools.lru_cache(maxsize=1024)
def _walks_only(expressions: tuple[str, ...]) -> bool:
    """Whether every branch of every expression is walked, never interpreted."""
    return all(compile_path(expression).walks_only for expression in expressions)


def _memoised(
    memo: _Memo,
    param_type: SearchParamType,
    expression: str,
    root: Node,
    key: tuple[int, str],
    resource: Json,
) -> list[SimpleValue]:
    """``simple_values`` of a component, computed once per item (``fhirpath.item_key``)."""
    memo_key = (param_type, expression, *key)
    hit = memo.parts.get(memo_key)
    if hit is None:
        hit = memo.parts[memo_key] = (
            root.value,
            simple_values(param_type, expression, root, resource, memo),
        )
    return hit[1]
