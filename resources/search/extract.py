"""Index values of a resource: each parameter's FHIRPath expression, then a typed conversion.

``extract`` gives one parameter's values, ``extract_all`` every parameter's for the resource's
type. Expressions are compiled once per process (``fhirpath.compile_path``). Parameters with no
expression give no values (``_query``), nor do ``special`` ones (``near``): geography is the
storage adapter's business. ``_text`` and ``_content`` give the resource's words instead
(``fulltext``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from resources.search.dates import date_values
from resources.search.fhirpath import Json, Node, compile_path
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


def extract(
    resource: Json, param: SearchParamDef, registry: SearchRegistry | None = None
) -> list[IndexValue]:
    """The distinct index values of ``param`` for ``resource``, in document order.

    ``registry`` resolves a composite's component definitions (default: the built-in one).
    Raises ``fhirpath.FhirPathEvaluationError`` if the expression fails on this resource.
    """
    expression = param.expression_for(str(resource.get("resourceType")))
    if expression is None and param.code in FULLTEXT_CODES:
        return list(fulltext_values(resource, param.code))
    if expression is None:
        return []
    if param.type == "composite":
        roots = compile_path(expression).evaluate(resource, resource)
        found: list[IndexValue] = list(
            _composites(roots, param, resource, registry or default_registry())
        )
        return list(dict.fromkeys(found))
    return list(dict.fromkeys(simple_values(param.type, expression, resource, resource)))


def extract_all(
    resource: Json, registry: SearchRegistry | None = None
) -> dict[str, list[IndexValue]]:
    """Every index value of the resource, by parameter code; codes with no values are left out."""
    registry = registry or default_registry()
    params = registry.params_for(str(resource.get("resourceType")))
    found = ((code, extract(resource, param, registry)) for code, param in params.items())
    return {code: values for code, values in found if values}


def simple_values(
    param_type: SearchParamType, expression: str, root: object, resource: Json
) -> list[SimpleValue]:
    """Evaluate ``expression`` on ``root`` and convert each item to ``param_type`` values."""
    converter = CONVERTERS.get(param_type)
    if converter is None:
        return []
    nodes = compile_path(expression).evaluate(root, resource)
    return [value for node in nodes for value in converter(node, resource)]


def _composites(
    roots: list[Node], param: SearchParamDef, resource: Json, registry: SearchRegistry
) -> list[CompositeValue]:
    """Per root item, every combination of its components' values (none if one is empty)."""
    parts: list[tuple[SearchParamType, str]] = []
    for component in param.component:
        definition = registry.by_url(component.definition)
        if definition is None:
            return []
        parts.append((definition.type, component.expression))
    combos: list[CompositeValue] = []
    for root in roots:
        per_part = [simple_values(type_, expr, root, resource) for type_, expr in parts]
        combos.extend(CompositeValue(combo) for combo in itertools.product(*per_part))
    return combos
