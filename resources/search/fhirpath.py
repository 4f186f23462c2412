"""The one module that talks to fhirpathpy: strict parsing, a cached compile, typed results.

fhirpathpy's internals are untyped, and it has gaps this adapter fills:
- its ``parse`` ignores syntax errors; ``parse_strict`` raises ``FhirPathSyntaxError`` instead;
- it has no ``resolve()``; ours types a Reference by its target (``Patient/1`` -> Patient,
  ``#c1`` -> the contained resource), which is what ``where(resolve() is Patient)`` needs;
- a union (``a | b``) drops the FHIR type of its items, so each top-level branch is evaluated
  on its own and the results concatenated (index values need no union de-duplication);
- R4 search expressions use ``as`` on collections, which it rightly refuses (``lenient_as``);
- interpreting is slow (~50 us a path), so plain paths are walked directly (``fastpath``),
  as are plain paths with one ``ofType(T)``, ``where(resolve() is T)`` or
  ``where(element = 'text')`` filter (and more steps after it), and relative plain paths
  (a composite's components) from an item whose path is known.
The R4 model that fhirpathpy ships (choice types, ``as``/``is``/``ofType``) is used, extended
with NutritionIntake's paths from its R5 model. Evaluation keeps no state between calls apart
from fhirpathpy's module globals, which it sets to the same values every time.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import fhirpathpy
import fhirpathpy.parser
from fhirpathpy.engine.nodes import FP_Type, ResourceNode
from fhirpathpy.models import models

from resources.search.expressions import lenient_as, split_union
from resources.search.fastpath import REFERENCE_TAIL, PathBranch, extension_only, walk_from
from resources.search.presence import has_element, required_element

Json = Mapping[str, Any]
_P: Any = fhirpathpy.parser  # antlr-generated and untyped
_apply = cast(Callable[..., list[Any]], fhirpathpy.apply_parsed_path)
_make_node = cast(Callable[[Any, str], object], ResourceNode.create_node)
_R5_ADDITIONS = ("NutritionIntake", "CodeableReference")
FHIR_VARIABLES: Mapping[str, str] = {"sct": "http://snomed.info/sct", "loinc": "http://loinc.org"}
"""The fixed environment variables FHIR defines (``%ucum`` and ``%context`` fhirpathpy sets)."""


class FhirPathSyntaxError(ValueError):
    """The expression is not valid FHIRPath syntax."""


class FhirPathEvaluationError(ValueError):
    """The expression failed while being evaluated (unknown function, bad operand, ...)."""


@dataclass(frozen=True, slots=True)
class Node:
    """One result item: its JSON value and, when the engine knows it, its FHIR type name."""

    value: Any
    type: str | None
    handle: object
    """The engine's own item, to evaluate a relative expression against (composites)."""


class _RaisingListener(_P.ErrorListener):  # type: ignore[misc]  # antlr base class
    def syntaxError(  # noqa: N802 (antlr's name)
        self, recognizer: object, offending: object, line: int, column: int, msg: str, e: object
    ) -> None:
        raise FhirPathSyntaxError(f"FHIRPath syntax error at {line}:{column}: {msg}")


def parse_strict(expression: str) -> dict[str, Any]:
    """Parse the whole expression (up to EOF), raising ``FhirPathSyntaxError`` on any error."""
    listener = _P.ASTPathListener()
    errors = _RaisingListener()
    lexer = _P.FHIRPathLexer(_P.InputStream(expression))
    lexer.removeErrorListeners()
    lexer.addErrorListener(errors)
    parser = _P.FHIRPathParser(_P.CommonTokenStream(lexer))
    parser.buildParseTrees = True
    parser.removeErrorListeners()
    parser.addErrorListener(errors)
    _P.ParseTreeWalker().walk(listener, parser.entireExpression())
    entire = cast(dict[str, Any], listener.parentStack[0])["children"][0]
    return {"children": [entire["children"][0]]}


@functools.cache
def fhir_model() -> dict[str, Any]:
    """fhirpathpy's R4 model plus the R5 entries of NutritionIntake (and CodeableReference)."""
    r4: dict[str, Any] = models["r4"]
    r5: dict[str, Any] = models["r5"]
    merged: dict[str, Any] = {}
    for part, table in r4.items():
        extra = {k: v for k, v in r5[part].items() if k.split(".")[0] in _R5_ADDITIONS}
        merged[part] = {**table, **extra}
    return merged


_RELATIVE = re.compile(
    r"^\(?\s*([a-z][A-Za-z0-9]*(?:\.[a-z][A-Za-z0-9]*)*)\s*(?:\.ofType\(([A-Za-z]+)\))?\s*\)?$"
)
_NOT_ELEMENTS = frozenset({"true", "false", "and", "or", "xor", "implies", "div", "mod", "in"})
"""Lowercase words that a bare expression may be but that are not element names."""


@dataclass(frozen=True, slots=True)
class _Relative:
    """A plain path from the evaluation root, with at most one ``ofType(T)``: the components
    of composites (``code``, ``value.as(Quantity)``), evaluated on each item of the
    composite's base. Walked from the root's own path, as fhirpathpy navigates from it."""

    steps: tuple[str, ...]
    of_type: str | None
    parsed: dict[str, Any]
    """The interpreter's form, for a root that has no path to navigate from."""

    @staticmethod
    def parse(branch: str) -> _Relative | None:
        match = _RELATIVE.match(branch)
        if match is None or branch.count("(") != branch.count(")"):
            return None
        steps = tuple(match.group(1).split("."))
        if steps[0] in _NOT_ELEMENTS:
            return None
        return _Relative(steps, match.group(2), parse_strict(branch))

    @staticmethod
    def start(data: object) -> tuple[Any, str] | None:
        """The root's JSON and path, when it has one to navigate from."""
        if isinstance(data, ResourceNode) and isinstance(data.path, str):
            return data.data, data.path
        if isinstance(data, Mapping) and isinstance(data.get("resourceType"), str):
            return data, str(data["resourceType"])
        return None


class CompiledPath:
    """An expression parsed once (per top-level union branch), ready to evaluate many times.

    ``lenient`` (the default, for search expressions) reads ``as`` as ``ofType`` (see
    ``expressions.lenient_as``); strict FHIRPath raises when ``as`` gets several items.
    ``fast`` (the default) walks plain-path branches directly (``fastpath``) instead of
    interpreting them; the results are the same.
    """

    def __init__(self, expression: str, *, lenient: bool = True, fast: bool = True) -> None:
        self.expression = expression
        branches = split_union(expression)
        if lenient:
            branches = tuple(lenient_as(branch) for branch in branches)
        self._branches = tuple(
            steps if fast and (steps := _fast_form(branch)) else parse_strict(branch)
            for branch in branches
        )
        self._needs = tuple(required_element(branch) if fast else None for branch in branches)

    def evaluate(
        self, root: object, resource: Json, variables: Mapping[str, object] | None = None
    ) -> list[Node]:
        """Evaluate on ``root`` (a resource, or a ``Node.handle``) inside ``resource``.

        ``resource`` is the whole resource, which ``resolve()`` searches for contained targets;
        ``variables`` adds environment variables (``%resource`` for constraints).
        """
        data = root.handle if isinstance(root, Node) else root
        nodes: list[Node] = []
        for index in range(len(self._branches)):
            nodes.extend(self.branch_nodes(index, data, resource, variables or {}))
        return nodes

    @property
    def branches(self) -> tuple[PathBranch | None, ...]:
        """Each union branch's fast form, None for one that is interpreted (or relative)."""
        return tuple(b if isinstance(b, PathBranch) else None for b in self._branches)

    @property
    def relative_walks(self) -> tuple[tuple[tuple[str, ...], str | None], ...] | None:
        """Per union branch, (steps, ``ofType`` or None), when every branch is a relative plain
        path (a composite's component), walked from each root as ``evaluate`` walks it; else
        None."""
        if not all(isinstance(branch, _Relative) for branch in self._branches):
            return None
        return tuple((b.steps, b.of_type) for b in self._branches if isinstance(b, _Relative))

    @property
    def walks_only(self) -> bool:
        """Whether no branch is left to the interpreter (a relative one may still ask it,
        on a root without a path, for the same plain navigation)."""
        return not any(isinstance(branch, dict) for branch in self._branches)

    def branch_nodes(
        self, index: int, data: object, resource: Json, variables: Mapping[str, object]
    ) -> list[Node]:
        """The non-null items of union branch ``index`` on the root ``data`` (a resource or an
        engine item), as ``evaluate`` gives them."""
        branch, needs = self._branches[index], self._needs[index]
        if isinstance(branch, PathBranch):
            # a path from a type name: only the resource's JSON matters
            json_data = data.data if isinstance(data, ResourceNode) else data
            if not isinstance(json_data, Mapping):
                return []
            items = branch.items(json_data, resource, fhir_model())
            return [_node(_make_node(value, path)) for value, path in items]
        if isinstance(branch, _Relative):
            nodes = self._relative(branch, data, resource, variables)
        elif needs is None or not isinstance(data, Mapping) or has_element(data, needs):
            nodes = [_node(item) for item in self._interpret(branch, data, resource, variables)]
        else:
            return []
        return [node for node in nodes if node.value is not None]

    def _relative(
        self, branch: _Relative, data: object, resource: Json, variables: Mapping[str, object]
    ) -> list[Node]:
        start = branch.start(data)
        if start is None:
            found = self._interpret(branch.parsed, data, resource, variables)
            return [_node(item) for item in found]
        items = walk_from(start, branch.steps, fhir_model())
        walked = [_node(_make_node(v, path)) for v, path in items if not extension_only(v)]
        return [node for node in walked if branch.of_type in (None, node.type)]

    def _interpret(
        self, branch: dict[str, Any], data: object, resource: Json, variables: Mapping[str, object]
    ) -> list[Any]:
        options = {"returnRawData": True, "userInvocationTable": _invocations(resource)}
        environment = {**FHIR_VARIABLES, **variables}
        try:
            return _apply(data, branch, environment, fhir_model(), options)
        except Exception as error:  # fhirpathpy raises bare Exception ("Not implemented")
            raise FhirPathEvaluationError(f"{self.expression}: {error}") from error


def _fast_form(branch: str) -> PathBranch | _Relative | None:
    """How a branch can be evaluated without the interpreter, if it can."""
    return PathBranch.parse(branch) or _Relative.parse(branch)


@functools.lru_cache(maxsize=4096)
def compile_path(expression: str) -> CompiledPath:
    """The lenient compiled form of a search expression, parsed once per process.

    Parsing costs about 2 ms an expression, evaluating about 50 us, hence the cache.
    """
    return CompiledPath(expression)


def typed_root(value: object, fhir_type: str) -> Node:
    """``value`` (JSON) as an evaluation root of type ``fhir_type``, so that an expression
    evaluated on it (a constraint of a data type or an element) resolves choice elements."""
    return Node(value, fhir_type, _make_node(value, fhir_type))


def item_key(node: Node) -> tuple[int, str] | None:
    """What a relative expression's result on ``node`` depends on, within one resource: its
    JSON object's identity and its path, for an item the fast path made (``_make_node``);
    None for another engine item, whose state may hold more."""
    handle = node.handle
    if type(handle) is not ResourceNode or not isinstance(handle.path, str):
        return None
    if handle._data is not None or handle.propName is not None or handle.index is not None:
        return None
    return id(handle.data), handle.path


def _node(item: object) -> Node:
    if isinstance(item, ResourceNode):
        path = cast(str | None, item.path)
        fhir_type = path if path and "." not in path else None
        return Node(item.data, fhir_type, item)
    if isinstance(item, FP_Type):
        return Node(str(item), None, item)
    return Node(item, None, item)


def _invocations(resource: Json) -> dict[str, Any]:
    def resolve(inputs: list[Any]) -> list[Any]:
        return [node for item in inputs if (node := _resolve_one(item, resource)) is not None]

    return {"resolve": {"fn": resolve}}


def _resolve_one(item: object, resource: Json) -> object | None:
    """A stand-in for the target: its resource type, and for contained targets the resource."""
    reference = item.get("reference") if isinstance(item, Mapping) else item
    declared = item.get("type") if isinstance(item, Mapping) else None
    if isinstance(reference, str) and reference.startswith("#"):
        for contained in resource.get("contained", []):
            if isinstance(contained, Mapping) and contained.get("id") == reference[1:]:
                return _make_node(contained, str(contained.get("resourceType")))
        return None
    match = REFERENCE_TAIL.search(reference) if isinstance(reference, str) else None
    if match is not None:
        stub = {"resourceType": match.group(1), "id": match.group(2)}
        return _make_node(stub, match.group(1))
    if isinstance(declared, str):
        return _make_node({"resourceType": declared}, declared)
    return None
