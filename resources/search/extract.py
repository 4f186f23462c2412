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
are converted without an engine item (``Node.handle`` None), and within one resource a plain
path is walked once for every parameter that starts with it (``_Memo.items``). A composite
whose base and components are all walked is computed from the JSON items too
(``_walked_composites``); only the others evaluate their components on engine items.
"""

from __future__ import annotations

import functools
import itertools
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from resources.search.dates import date_values
from resources.search.fastpath import (
    Item,
    PathBranch,
    extension_only,
    node_path,
    node_type,
    walk_from,
)
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
    walked: bool
    """Whether every branch is walked (``fast`` holds no None)."""

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
        return _Plan(param, None, (), None, None, False)
    compiled = compile_path(expression)
    fast = compiled.branches
    keys = [branch.first_keys(fhir_model()) if branch else None for branch in fast]
    needs = None if any(k is None for k in keys) else frozenset().union(*filter(None, keys))
    walked = all(branch is not None for branch in fast)
    return _Plan(param, compiled, fast, needs, CONVERTERS.get(param.type), walked)


_TypePlans = tuple[tuple[_Plan, "tuple[_Part, ...] | None"], ...]
_TYPE_PLANS: weakref.WeakKeyDictionary[SearchRegistry, dict[str, _TypePlans]] = (
    weakref.WeakKeyDictionary()
)


def _type_plans(registry: SearchRegistry, resource_type: str) -> _TypePlans:
    """The plans of every parameter of ``resource_type``, in ``params_for`` order, each with
    its components in this registry when it is a composite."""
    per_type = _TYPE_PLANS.setdefault(registry, {})
    plans = per_type.get(resource_type)
    if plans is None:
        plans = per_type[resource_type] = tuple(
            (
                _plan(param, resource_type),
                _parts(registry, param) if param.type == "composite" else None,
            )
            for param in registry.params_for(resource_type).values()
        )
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
    paths: dict[tuple[str, ...], list[Item]] = field(default_factory=dict)
    """The items of a plain path from the resource, by its steps (``PathBranch.path_items``):
    parameters share paths (``subject`` and ``patient``, ``code`` and ``combo-code``)."""

    def items(self, branch: PathBranch, resource: Json) -> list[Item]:
        """``branch.items`` on the resource, its plain path walked once per memo."""
        found = self.paths.get(branch.steps)
        if found is None:
            found = self.paths[branch.steps] = branch.path_items(resource, fhir_model())
        return branch.filter_items(found, resource, fhir_model()) if branch.filtered else found

    def convert(self, converter: Converter, node: Node, resource: Json) -> Sequence[SimpleValue]:
        """``converter(node, resource)``, once per item: a converter reads only the item's
        value and type (and the resource, the same for the whole memo)."""
        key = (converter, id(node.value), node.type)
        hit = self.converted.get(key)
        if hit is None:
            hit = self.converted[key] = (node.value, converter(node, resource))
        return hit[1]

    def walked(
        self, converter: Converter, branches: tuple[PathBranch | None, ...], resource: Json
    ) -> list[SimpleValue]:
        """The converted values of every item of the walked ``branches``, each item converted
        once per memo as ``convert`` does, without an engine item or a ``Node`` for the items
        already converted."""
        converted = self.converted
        found: list[SimpleValue] = []
        for branch in branches:
            assert branch is not None
            for value, path in self.items(branch, resource):
                kind = path if path and "." not in path else None  # node_type
                key = (converter, id(value), kind)
                hit = converted.get(key)
                if hit is None:
                    hit = converted[key] = (value, converter(Node(value, kind, None), resource))
                found.extend(hit[1])
        return found


def _values(
    plan: _Plan, resource: Json, parts: tuple[_Part, ...] | None, memo: _Memo
) -> list[IndexValue]:
    """``plan``'s values on the resource; ``parts``: a composite's components (``_parts``)."""
    param = plan.param
    if plan.compiled is None:
        return list(fulltext_values(resource, param.code)) if param.code in FULLTEXT_CODES else []
    if plan.needs is not None and resource.keys().isdisjoint(plan.needs):  # looks up needs
        return []  # the same as evaluating: every branch starts at a key the resource lacks
    if param.type == "composite":
        if parts is not None and plan.walked and all(part.walks for part in parts):
            found: list[IndexValue] = list(_walked_composites(plan, parts, resource, memo))
        else:
            roots = plan.compiled.evaluate(resource, resource)
            found = list(_composites(roots, parts, resource, memo)) if parts is not None else []
        return list(dict.fromkeys(found))
    converter = plan.converter
    if converter is None:
        return []
    if plan.walked:
        simple = memo.walked(converter, plan.fast, resource)
    else:
        nodes = plan.nodes(resource)  # fast-path items are the resource's own JSON: memoisable
        simple = [v for node in nodes for v in memo.convert(converter, node, resource)]
    return list(dict.fromkeys(simple)) if len(simple) > 1 else list(simple)


def extract(
    resource: Json, param: SearchParamDef, registry: SearchRegistry | None = None
) -> list[IndexValue]:
    """The distinct index values of ``param`` for ``resource``, in document order.

    ``registry`` resolves a composite's component definitions (default: the built-in one).
    Raises ``fhirpath.FhirPathEvaluationError`` if the expression fails on this resource.
    """
    parts = _parts(registry or default_registry(), param) if param.type == "composite" else None
    return _values(_plan(param, str(resource.get("resourceType"))), resource, parts, _Memo())


def extract_all(
    resource: Json, registry: SearchRegistry | None = None
) -> dict[str, list[IndexValue]]:
    """Every index value of the resource, by parameter code; codes with no values are left out."""
    registry = registry or default_registry()
    found: dict[str, list[IndexValue]] = {}
    memo = _Memo()
    keys = resource.keys()
    for plan, parts in _type_plans(registry, str(resource.get("resourceType"))):
        if plan.needs is not None and keys.isdisjoint(plan.needs):
            continue  # as _values would answer, without the call: most plans of a type
        values = _values(plan, resource, parts, memo)
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


@dataclass(frozen=True, slots=True)
class _Part:
    """A composite's component: its definition's type and converter, its expression and, when
    every union branch of that is a relative path, the paths (``CompiledPath.relative_walks``)."""

    type: SearchParamType
    expression: str
    converter: Converter | None
    walks: tuple[tuple[tuple[str, ...], str | None], ...] | None


_PARTS: weakref.WeakKeyDictionary[
    SearchRegistry, dict[SearchParamDef, tuple[_Part, ...] | None]
] = weakref.WeakKeyDictionary()


def _parts(registry: SearchRegistry, param: SearchParamDef) -> tuple[_Part, ...] | None:
    """The components of ``param`` (None when the registry lacks one's definition)."""
    per_param = _PARTS.setdefault(registry, {})
    if param not in per_param:
        parts: list[_Part] = []
        for component in param.component:
            definition = registry.by_url(component.definition)
            if definition is None:
                per_param[param] = None
                return None
            compiled = compile_path(component.expression)
            converter = CONVERTERS.get(definition.type)
            parts.append(
                _Part(definition.type, component.expression, converter, compiled.relative_walks)
            )
        per_param[param] = tuple(parts)
    return per_param[param]


def _composites(
    roots: list[Node], parts: tuple[_Part, ...], resource: Json, memo: _Memo
) -> list[CompositeValue]:
    """Per root item, every combination of its components' values (none if one is empty)."""
    walks = _walks_only(tuple(part.expression for part in parts))
    combos: list[CompositeValue] = []
    for root in roots:
        values_of = functools.partial(_component, memo, root, item_key(root), resource)
        combos.extend(_combinations(parts, values_of, walked=walks))
    return combos


def _walked_composites(
    plan: _Plan, parts: tuple[_Part, ...], resource: Json, memo: _Memo
) -> list[CompositeValue]:
    """``_composites`` where every base branch and every component is walked: the same values
    from the JSON items, without the engine's items (``_walked_part``)."""
    model = fhir_model()
    combos: list[CompositeValue] = []
    for branch in plan.fast:
        assert branch is not None
        for value, path in memo.items(branch, resource):
            values_of = functools.partial(_walked_part, memo, value, path, resource, model)
            combos.extend(_combinations(parts, values_of, walked=True))
    return combos


def _combinations(
    parts: tuple[_Part, ...],
    values_of: Callable[[_Part], list[SimpleValue]],
    *,
    walked: bool,
) -> list[CompositeValue]:
    """Every combination of one base item's component values (``values_of`` each part).

    Walked components raise nothing, so the first empty one settles it: they are read from the
    last, the value, the one most often absent (``code-value-date`` on a ``valueQuantity``).
    """
    per_part: list[list[SimpleValue]] = [[] for _ in parts]
    for index in range(len(parts) - 1, -1, -1) if walked else range(len(parts)):
        per_part[index] = values_of(parts[index])
        if walked and not per_part[index]:
            return []
    return [CompositeValue(combo) for combo in itertools.product(*per_part)]


def _component(
    memo: _Memo, root: Node, key: tuple[int, str] | None, resource: Json, part: _Part
) -> list[SimpleValue]:
    """A component's values on an engine item: once per item where it has a key
    (``item_key``), else evaluated each time."""
    if key is None:
        return simple_values(part.type, part.expression, root, resource, memo)
    return _memoised(memo, part.type, part.expression, root, key, resource)


def _walked_part(
    memo: _Memo,
    value: object,
    path: str,
    resource: Json,
    model: Mapping[str, Any],
    part: _Part,
) -> list[SimpleValue]:
    """A walked component's values on the base item (``value``, ``path``), once per item: the
    key and the items are those ``_memoised`` and ``CompiledPath`` give (``item_key``,
    ``_relative``)."""
    memo_key = (part.type, part.expression, id(value), path)
    hit = memo.parts.get(memo_key)
    if hit is None:
        assert part.walks is not None
        found: list[SimpleValue] = []
        converter = part.converter
        for steps, of_type in part.walks:
            for item, item_path in walk_from((value, path), steps, model):
                if converter is None or item is None or extension_only(item):
                    continue
                kind = node_type(node_path(item, item_path))
                if of_type is None or kind == of_type:
                    found.extend(memo.convert(converter, Node(item, kind, None), resource))
        hit = memo.parts[memo_key] = (value, found)
    return hit[1]


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
