"""Validation of custom SearchParameter resources before they enter a registry.

A custom parameter must be indexable by ``extract``: a known type other than ``special``, a
FHIRPath expression that parses and evaluates on each base, known base and target types, and
for a composite, components whose definitions the registry already holds. Plain-path branches
(``Patient.name.given``) are checked element by element against the R4 model; other branches
only as far as evaluating them on an empty resource of each base shows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from resources import error_codes
from resources.crypto.phi_params import PERSON_TYPES
from resources.errors import Unprocessable
from resources.resource_types import SERVED_TYPES
from resources.search.expressions import leading_name, split_union
from resources.search.fastpath import simple_steps, unknown_element
from resources.search.fhirpath import (
    CompiledPath,
    FhirPathEvaluationError,
    FhirPathSyntaxError,
    fhir_model,
    parse_strict,
)
from resources.search.param_def import ABSTRACT_BASES, SearchParamDef, param_from_json

if TYPE_CHECKING:
    from resources.search.registry import SearchRegistry

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
COMPARATORS = frozenset({"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"})
MODIFIERS = frozenset(
    [
        "missing",
        "exact",
        "contains",
        "not",
        "text",
        "in",
        "not-in",
        "below",
        "above",
        "type",
        "identifier",
        "ofType",
    ]
)
BASE_TYPES = SERVED_TYPES | frozenset(ABSTRACT_BASES)


def custom_param(resource: Mapping[str, Any], registry: SearchRegistry) -> SearchParamDef:
    """Read and check a custom SearchParameter; raise ``Unprocessable`` on the first problem."""
    if resource.get("resourceType") != "SearchParameter":
        _reject("a SearchParameter resource is required", "resourceType")
    try:
        param = param_from_json(resource)
    except ValueError as error:  # its message starts with the element: "SearchParameter.url: ..."
        _reject(str(error), str(error).split(":", 1)[0])
    _check_shape(param)
    _check_expression(param)
    for component in param.component:
        _check_component(component.definition, component.expression, registry)
    return param


def _check_shape(param: SearchParamDef) -> None:
    if not CODE_PATTERN.match(param.code):
        _reject(f"code {param.code!r} is not a valid search parameter name", "code")
    if not param.base:
        _reject("at least one base resource type is required", "base")
    for name, known, element in (
        (param.base, BASE_TYPES, "base"),
        (param.target, SERVED_TYPES, "target"),
        (param.comparator, COMPARATORS, "comparator"),
        (param.modifier, MODIFIERS, "modifier"),
    ):
        unknown = sorted(set(name) - known)
        if unknown:
            _reject(f"unknown {element} value(s): {', '.join(unknown)}", element)
    if param.type == "special":
        _reject("custom parameters of type special cannot be indexed", "type")
    if param.target and param.type != "reference":
        _reject("target is only allowed on reference parameters", "target")
    if param.type == "composite" and not param.component:
        _reject("a composite parameter needs components", "component")
    person = [base for base in param.base if base in PERSON_TYPES or base in ABSTRACT_BASES]
    if param.type == "composite" and person:
        # Composite rows hold their components' values in plain text, and a custom parameter
        # of a person type is PHI (resources.crypto.phi_params): there is no blind form.
        _reject(f"composite parameters on {', '.join(person)} would store PHI unencrypted", "base")


def _check_expression(param: SearchParamDef) -> None:
    if param.expression is None:
        _reject("an expression is required", "expression")
    _parse(param.expression, "expression")
    for branch in split_union(param.expression):
        name = leading_name(branch)
        if name in BASE_TYPES and name not in param.base:
            _reject(f"expression branch {branch!r} is for {name}, not a base", "expression")
        steps = simple_steps(branch)
        unknown = unknown_element(steps, fhir_model()) if steps else None
        if unknown:
            _reject(f"{unknown} is not an element (in {branch!r})", "expression")
    for base in param.base:
        if base in ABSTRACT_BASES:
            continue
        expression = param.expression_for(base)
        if expression is None:
            _reject(f"no part of the expression applies to base {base}", "expression")
        try:
            # the interpreter itself: the production path skips branches on absent elements
            empty = {"resourceType": base}
            CompiledPath(expression, fast=False).evaluate(empty, empty)
        except (FhirPathEvaluationError, FhirPathSyntaxError) as error:
            _reject(f"expression does not evaluate on {base}: {error}", "expression")


def _check_component(definition: str, expression: str, registry: SearchRegistry) -> None:
    part = registry.by_url(definition)
    if part is None:
        _reject(f"component definition {definition} is not a known parameter", "component")
    if part.type in ("composite", "special"):
        _reject(f"component definition {definition} is a {part.type} parameter", "component")
    _parse(expression, "component.expression")


def _parse(expression: str, element: str) -> None:
    try:
        parse_strict(expression)
    except FhirPathSyntaxError as error:
        _reject(str(error), element)


def _reject(message: str, element: str) -> NoReturn:
    path = element if element.startswith("SearchParameter") else f"SearchParameter.{element}"
    raise Unprocessable(
        f"Invalid SearchParameter: {message}",
        error_codes.RESOURCE_INVALID,
        expression=(path,),
    )
