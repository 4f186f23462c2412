"""Validation of a resource against StructureDefinitions (base type and profiles).

https://hl7.org/fhir/R4/validation.html

The walk follows the snapshot: for each element it finds the JSON values (choice elements by
their type suffix), checks cardinality, then for each value the fixed or pattern value, the
binding, the reference target types and the constraints, and descends into the children (from
the snapshot, or from the data type's own definition when the profile does not go deeper).
Sliced elements assign each value to its slice and check each slice's cardinality.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from profiles_ig.checks import binding_issues, invariant_issues, reference_issues
from profiles_ig.codes import CodeChecker, LocalCodes
from profiles_ig.definitions import Definitions, default_definitions
from profiles_ig.elements import Element, ElementIndex, index_snapshot, is_primitive, json_suffix
from profiles_ig.slicing import fixed_or_pattern, matches_pattern, slice_matches
from resources.errors import Issue

Item = tuple[Any, str, str]
"""A value, its type code and its JSON name."""


@dataclass
class _Run:
    resource: Mapping[str, Any]
    root: Mapping[str, Any]
    issues: list[Issue] = field(default_factory=list)

    @property
    def resources(self) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
        """``%resource`` and ``%rootResource`` where the walk is."""
        return self.resource, self.root


class Validator:
    """Validates resources against the definitions it holds; reusable across requests."""

    def __init__(self, definitions: Definitions, codes: CodeChecker | None = None) -> None:
        self.definitions = definitions
        self.codes = codes or LocalCodes(definitions)
        self._indexes: dict[str, ElementIndex] = {}

    def index(self, url_or_type: str) -> ElementIndex | None:
        """The indexed snapshot of a StructureDefinition, None when unknown."""
        definition = self.definitions.structure(url_or_type)
        if definition is None:
            return None
        url = str(definition["url"])
        if url not in self._indexes:
            self._indexes[url] = index_snapshot(definition)
        return self._indexes[url]

    def validate(self, resource: Mapping[str, Any], profile: str | None = None) -> list[Issue]:
        """Issues of ``resource`` against ``profile`` (default: its base type's definition)."""
        resource_type = str(resource.get("resourceType", ""))
        index = self.index(profile or resource_type)
        if index is None:
            name = profile or resource_type
            return [Issue("error", "not-supported", f"Unknown profile or type {name!r}", ())]
        run = _Run(resource, resource)
        self._resource(run, resource, index, resource_type)
        return _unique(run.issues)

    def conforms(self, value: Any, profile: str) -> bool:
        """True when ``value`` (a resource, or an element of a data type) has no error."""
        index = self.index(profile)
        if index is None:
            return False
        data = value if isinstance(value, Mapping) else {}
        run = _Run(data, data)
        if "resourceType" in (value if isinstance(value, Mapping) else {}):
            self._resource(run, value, index, index.type)
        else:  # a data type or an extension: its root's rules, then its elements
            run.issues.extend(invariant_issues(index.root, value, index.type, "", run.resources))
            self._children(run, value, index, index.root_id, index.type)
        return not any(issue.severity in ("error", "fatal") for issue in run.issues)

    def _resource(
        self, run: _Run, resource: Mapping[str, Any], index: ElementIndex, path: str
    ) -> None:
        if resource.get("resourceType") != index.type:
            message = f"{path}: a {resource.get('resourceType')} is not a {index.type}"
            run.issues.append(Issue("error", "structure", message, (path,)))
            return
        outer = run.resource, run.root
        run.resource = resource  # %resource is the nearest resource, %rootResource its container
        run.root = run.root if path.rsplit(".", 1)[-1].startswith("contained[") else resource
        try:
            run.issues.extend(
                invariant_issues(index.root, resource, index.type, path, run.resources)
            )
            self._children(run, resource, index, index.root_id, path)
        finally:
            run.resource, run.root = outer

    def _children(
        self, run: _Run, data: Any, index: ElementIndex, element_id: str, path: str
    ) -> None:
        if not isinstance(data, Mapping):
            return
        for child in index.children.get(element_id, ()):
            self._element(run, data, index, child, path)

    def _element(
        self, run: _Run, data: Mapping[str, Any], index: ElementIndex, element: Element, path: str
    ) -> None:
        name = str(element["path"]).rsplit(".", 1)[-1]
        items = _items(data, name, element)
        where = f"{path}.{name.removesuffix('[x]')}"
        if name.endswith("[x]"):
            items = self._allowed_choices(run, items, element, where)
        _cardinality(run, element, len(items), where, "")
        repeats = element.get("max") != "1" or element.get("base", {}).get("max", "1") != "1"
        slices = index.slices.get(str(element["id"]), [])
        placed = self._slice(run, index, element, slices, items, path, repeats) if slices else {}
        for position, item in enumerate(items):
            item_path = f"{path}.{item[2]}" + (f"[{position}]" if repeats else "")
            target = placed.get(position, element)
            self._value(run, index, target, item, item_path)

    def _allowed_choices(
        self, run: _Run, items: list[Item], element: Element, where: str
    ) -> list[Item]:
        """The items of a choice element whose type the element allows; the others are errors
        (a profile narrowing ``value[x]``), when their suffix names a FHIR type at all."""
        allowed = {str(t["code"]) for t in element.get("type", [])}
        kept = []
        for item in items:
            if item[1] in allowed:
                kept.append(item)
            elif item[1] in _PRIMITIVE_NAMES or self.definitions.structure(item[1]) is not None:
                shown = ", ".join(sorted(allowed))
                message = f"{where}: type {item[1]} is not allowed here (allowed: {shown})"
                run.issues.append(Issue("error", "structure", message, (where,)))
        return kept

    def _slice(
        self,
        run: _Run,
        index: ElementIndex,
        sliced: Element,
        slices: list[Element],
        items: list[Item],
        path: str,
        repeats: bool,
    ) -> dict[int, Element]:
        placed: dict[int, Element] = {}
        for position, (value, type_code, key) in enumerate(items):
            for slice_ in slices:
                if slice_matches(index, sliced, slice_, value, type_code, self.conforms):
                    placed[position] = slice_
                    break
            else:
                if sliced.get("slicing", {}).get("rules") == "closed":
                    where = f"{path}.{key}" + (f"[{position}]" if repeats else "")
                    message = f"{where}: matches none of the slices of a closed slicing"
                    run.issues.append(Issue("error", "structure", message, (where,)))
        name = str(sliced["path"]).rsplit(".", 1)[-1].removesuffix("[x]")
        for slice_ in slices:
            count = sum(1 for s in placed.values() if s is slice_)
            _cardinality(
                run, slice_, count, f"{path}.{name}", f" (slice {slice_.get('sliceName')})"
            )
        return placed

    def _value(
        self, run: _Run, index: ElementIndex, element: Element, item: Item, path: str
    ) -> None:
        value, type_code, _key = item
        _fixed(run, element, value, path)
        run.issues.extend(binding_issues(element, value, type_code, path, self.codes))
        if type_code == "Reference":
            run.issues.extend(reference_issues(element, value, path, run.root, self.definitions))
        if is_primitive(type_code) or value is None:
            return
        if element is not index.root:
            context = str(element.get("base", {}).get("path", element["path"]))
            context_type = context if type_code in ("BackboneElement", "Element") else type_code
            run.issues.extend(invariant_issues(element, value, context_type, path, run.resources))
        self._descend(run, index, element, value, type_code, path)

    def _descend(
        self,
        run: _Run,
        index: ElementIndex,
        element: Element,
        value: Any,
        type_code: str,
        path: str,
    ) -> None:
        element_id = str(element["id"])
        if type_code in ("Resource", "DomainResource") and isinstance(value, Mapping):
            inner = self.index(str(value.get("resourceType", "")))
            if inner is not None:
                self._resource(run, value, inner, path)
            return
        if index.children.get(element_id) and element is not index.root:
            self._children(run, value, index, element_id, path)
            return
        if "contentReference" in element:
            self._children(run, value, index, str(element["contentReference"]).lstrip("#"), path)
            return
        profiles = [
            p
            for t in element.get("type", [])
            if t["code"] == type_code
            for p in t.get("profile", [])
        ]
        if type_code == "Extension" and not profiles and isinstance(value, Mapping):
            url = str(value.get("url", ""))
            profiles = [url] if self.definitions.structure(url) is not None and "/" in url else []
        type_index = self.index(profiles[0]) if profiles else None
        type_index = type_index or self.index(type_code)
        if type_index is None or type_index is index:
            return
        run.issues.extend(invariant_issues(type_index.root, value, type_code, path, run.resources))
        self._children(run, value, type_index, type_index.root_id, path)


def _items(data: Mapping[str, Any], name: str, element: Element) -> list[Item]:
    """The JSON values of element ``name`` in ``data`` with their type codes."""
    if name.endswith("[x]"):
        stem = name[:-3]
        allowed = {json_suffix(t["code"]): str(t["code"]) for t in element.get("type", [])}
        items: list[Item] = []
        for key, value in data.items():
            suffix = key[len(stem) :]
            if key.startswith(stem) and suffix[:1].isupper():
                type_code = allowed.get(
                    suffix,
                    suffix[0].lower() + suffix[1:]
                    if suffix[0].lower() + suffix[1:] in _PRIMITIVE_NAMES
                    else suffix,
                )
                items.extend(
                    (v, type_code, key) for v in (value if isinstance(value, list) else [value])
                )
        return items
    value = data.get(name)
    if value is None:
        return []
    type_code = str(element["type"][0]["code"]) if element.get("type") else "BackboneElement"
    values = value if isinstance(value, list) else [value]
    return [(v, type_code, name) for v in values]


_PRIMITIVE_NAMES = frozenset(
    {
        "base64Binary", "boolean", "canonical", "code", "date", "dateTime", "decimal", "id",
        "instant", "integer", "markdown", "oid", "positiveInt", "string", "time",
        "unsignedInt", "uri", "url", "uuid",
    }
)  # fmt: skip


def _cardinality(run: _Run, element: Element, count: int, path: str, what: str) -> None:
    minimum, maximum = int(element.get("min", 0)), str(element.get("max", "*"))
    if count < minimum:
        message = f"{path}: minimum required = {minimum}, but only found {count}{what}"
        run.issues.append(Issue("error", "required", message, (path,)))
    elif maximum != "*" and count > int(maximum):
        message = f"{path}: maximum allowed = {maximum}, but found {count}{what}"
        run.issues.append(Issue("error", "structure", message, (path,)))


def _fixed(run: _Run, element: Element, value: Any, path: str) -> None:
    expected = fixed_or_pattern(element)
    if expected is None:
        return
    kind, wanted = expected
    ok = value == wanted if kind == "fixed" else matches_pattern(wanted, value)
    if not ok:
        message = f"{path}: value does not match the {kind} value {wanted!r}"
        run.issues.append(Issue("error", "value", message, (path,)))


def _unique(issues: list[Issue]) -> list[Issue]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for issue in issues:
        key = (issue.severity, issue.diagnostics)
        if key not in seen:
            seen.add(key)
            kept.append(issue)
    return kept


@functools.cache
def default_validator() -> Validator:
    """A validator over this server's definitions, built once per process."""
    return Validator(default_definitions())
