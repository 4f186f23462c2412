"""Value set expansion: ``compose.include`` minus ``compose.exclude``, each a system's codes
(all, listed, or chosen by filters) intersected with imported value sets.

https://hl7.org/fhir/R4/valueset.html#compositions. Filters: ``is-a``, ``descendent-of``,
``is-not-a``, ``generalizes``, ``regex`` (the whole value must match), ``=``, ``in``,
``not-in``, ``exists``; on the ``concept``/``code`` property, ``display``, or a concept property.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from resources import error_codes
from resources.errors import Invalid, NotFound, Unprocessable
from terminology.codesystems.concepts import CodeSystemIndex, Concept
from terminology.codesystems.sources import Sources, split_canonical

MAX_EXPANSION = 100_000
"""Largest expansion built in memory (ICD-10-CM as a whole is about 98,000 codes)."""
_MAX_DEPTH = 10
_CODE_PROPERTIES = frozenset({"concept", "code"})

Json = Mapping[str, Any]
Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Member:
    """One code of an expansion."""

    system: str
    code: str
    display: str | None = None
    version: str | None = None
    inactive: bool = False
    abstract: bool = False

    @property
    def key(self) -> Key:
        """(system, code)."""
        return self.system, self.code

    def to_contains(self) -> dict[str, Any]:
        """The ``ValueSet.expansion.contains`` element."""
        item: dict[str, Any] = {"system": self.system}
        if self.version:
            item["version"] = self.version
        if self.abstract:
            item["abstract"] = True
        if self.inactive:
            item["inactive"] = True
        item["code"] = self.code
        if self.display:
            item["display"] = self.display
        return item


def expand(value_set: Json, sources: Sources, active_only: bool = False) -> list[Member]:
    """Every member of ``value_set`` in compose order, without duplicates."""
    return _expand(value_set, sources, active_only, (str(value_set.get("url", "")),))


def _expand(
    value_set: Json, sources: Sources, active_only: bool, path: tuple[str, ...]
) -> list[Member]:
    if len(path) > _MAX_DEPTH:
        raise Unprocessable(
            f"Value set imports nest too deep: {' -> '.join(path)}",
            error_codes.VALUE_SET_RECURSION,
        )
    compose = value_set.get("compose")
    if not isinstance(compose, Mapping):
        return _from_expansion(value_set)
    members: dict[Key, Member] = {}
    for include in compose.get("include", []):
        for member in _include(include, sources, path):
            members.setdefault(member.key, member)
    for exclude in compose.get("exclude", []):
        for member in _include(exclude, sources, path):
            members.pop(member.key, None)
    if active_only or compose.get("inactive") is False:
        return [m for m in members.values() if not m.inactive]
    return list(members.values())


def _from_expansion(value_set: Json) -> list[Member]:
    """A value set with only an ``expansion`` (no ``compose``): its listed codes."""
    found: list[Member] = []
    stack = list(reversed(value_set.get("expansion", {}).get("contains", [])))
    while stack:
        item = stack.pop()
        if item.get("code") and item.get("system"):
            found.append(
                Member(item["system"], item["code"], item.get("display"), item.get("version"),
                       bool(item.get("inactive")), bool(item.get("abstract")))
            )  # fmt: skip
        stack.extend(reversed(item.get("contains", [])))
    return found


def _include(include: Json, sources: Sources, path: tuple[str, ...]) -> list[Member]:
    imported = [_imported(url, sources, path) for url in include.get("valueSet", [])]
    system = include.get("system")
    if not system:
        if not imported:
            raise Invalid("A compose include names no system and no value set",
                          error_codes.TERMINOLOGY_BAD_INPUT)  # fmt: skip
        first, *rest = imported
        keep = set.intersection(*({m.key for m in group} for group in rest)) if rest else None
        return [m for m in first if keep is None or m.key in keep]
    members = _system_members(include, str(system), sources)
    for group in imported:
        keys = {m.key for m in group}
        members = [m for m in members if m.key in keys]
    return members


def _imported(url: str, sources: Sources, path: tuple[str, ...]) -> list[Member]:
    base, version = split_canonical(url)
    if base in path:
        raise Unprocessable(f"Value set {base} imports itself", error_codes.VALUE_SET_RECURSION)
    value_set = sources.value_set(base, version)
    if value_set is None:
        raise NotFound(f"Value set {url} is not known", error_codes.UNKNOWN_VALUE_SET)
    return _expand(value_set, sources, False, (*path, base))


def _system_members(include: Json, system: str, sources: Sources) -> list[Member]:
    version = include.get("version")
    code_system = sources.code_system(system, version)
    listed = include.get("concept", [])
    filters = include.get("filter", [])
    if listed:
        return [_listed(system, item, code_system) for item in listed if _known(item, code_system)]
    if code_system is None:
        raise NotFound(
            f"Code system {system} is not known, so its codes cannot be listed",
            error_codes.UNKNOWN_CODE_SYSTEM,
        )
    if not getattr(code_system, "enumerable", True):
        raise Unprocessable(
            f"The codes of {system} cannot be listed (a grammar, not a list); name them",
            error_codes.CODE_SYSTEM_NOT_ENUMERABLE,
        )
    tests = [_filter(code_system, f) for f in filters]
    return [
        _member(code_system, concept)
        for concept in code_system
        if all(test(concept) for test in tests)
    ]


def _known(item: Json, code_system: CodeSystemIndex | None) -> bool:
    """A listed code is kept unless the system is complete and lacks it."""
    if code_system is None or not code_system.complete:
        return True
    return code_system.get(str(item.get("code"))) is not None


def _listed(system: str, item: Json, code_system: CodeSystemIndex | None) -> Member:
    code = str(item.get("code"))
    concept = code_system.get(code) if code_system else None
    if code_system is None or concept is None:
        return Member(system, code, item.get("display"))
    member = _member(code_system, concept)
    if item.get("display"):
        return Member(member.system, member.code, item["display"], member.version,
                      member.inactive, member.abstract)  # fmt: skip
    return member


def _member(code_system: CodeSystemIndex, concept: Concept) -> Member:
    return Member(
        code_system.url,
        concept.code,
        concept.display,
        code_system.version,
        concept.inactive,
        concept.abstract,
    )


Test = Callable[[Concept], bool]


def _filter(code_system: CodeSystemIndex, spec: Json) -> Test:
    prop, op, value = spec.get("property"), spec.get("op"), spec.get("value")
    if not isinstance(prop, str) or not isinstance(op, str) or not isinstance(value, str):
        raise Invalid(f"A value set filter needs property, op and value: {dict(spec)}",
                      error_codes.VALUE_SET_BAD_FILTER)  # fmt: skip
    if op in ("is-a", "descendent-of", "is-not-a", "generalizes"):
        return _hierarchy_test(code_system, op, value)
    if op == "regex":
        return _regex_test(prop, value)
    if op in ("=", "in", "not-in"):
        wanted = {value} if op == "=" else {v.strip() for v in value.split(",")}
        inside = _value_test(prop, wanted)
        return inside if op != "not-in" else lambda concept: not inside(concept)
    if op == "exists":
        present = value == "true"
        return lambda concept: bool(_values(concept, prop)) == present
    raise Invalid(f"Value set filter operator {op!r} is not supported",
                  error_codes.VALUE_SET_BAD_FILTER)  # fmt: skip


def _hierarchy_test(code_system: CodeSystemIndex, op: str, value: str) -> Test:
    root = code_system.get(value)
    code = root.code if root else value
    if op == "generalizes":
        above = {code, *code_system.ancestors(code)}
        return lambda concept: concept.code in above
    below = set(code_system.descendants(code))
    if op == "is-a":
        below.add(code)
    elif op == "is-not-a":
        below.add(code)
        return lambda concept: concept.code not in below
    return lambda concept: concept.code in below


def _regex_test(prop: str, pattern: str) -> Test:
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise Invalid(f"Bad regex {pattern!r} in a value set filter: {error}",
                      error_codes.VALUE_SET_BAD_FILTER) from None  # fmt: skip
    return lambda concept: any(compiled.fullmatch(v) for v in _values(concept, prop))


def _value_test(prop: str, wanted: set[str]) -> Test:
    return lambda concept: any(v in wanted for v in _values(concept, prop))


def _values(concept: Concept, prop: str) -> list[str]:
    """A concept's values of ``prop`` as text (booleans as ``true``/``false``)."""
    if prop in _CODE_PROPERTIES:
        return [concept.code]
    if prop == "display":
        return [concept.display] if concept.display else []
    if prop == "parent":
        return list(concept.parents)
    return [_text(v) for v in concept.property_values(prop)]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return str(value.get("code", ""))
    return str(value)


def text_filter(members: Iterable[Member], text: str) -> list[Member]:
    """Members whose code starts with ``text`` or whose display has every word of it (as a
    word prefix, case-insensitive)."""
    words = text.lower().split()
    if not words:
        return list(members)
    prefix = text.strip()
    kept = []
    for member in members:
        display_words = (member.display or "").lower().replace("-", " ").split()
        if member.code.startswith(prefix) or all(
            any(d.startswith(w) for d in display_words) for w in words
        ):
            kept.append(member)
    return kept
