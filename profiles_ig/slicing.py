"""Which slice an item of a sliced element belongs to, and fixed/pattern matching.

https://hl7.org/fhir/R4/profiling.html#discriminator

Discriminators of type ``value`` and ``pattern`` compare the item's value at the discriminator
path with the slice's fixed or pattern value there (for extensions: the url of the slice's
extension profile); ``type`` compares the item's type; ``exists`` its presence; ``profile``
asks the caller whether the item conforms to the slice's profile.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from profiles_ig.elements import Element, ElementIndex

Conforms = Callable[[Any, str], bool]
"""Whether an item conforms to the profile with this URL."""


def fixed_or_pattern(element: Element) -> tuple[str, Any] | None:
    """``("fixed", value)`` or ``("pattern", value)`` of an element, if it has one."""
    for key, value in element.items():
        if key.startswith("fixed"):
            return "fixed", value
        if key.startswith("pattern"):
            return "pattern", value
    return None


def matches_pattern(pattern: Any, value: Any) -> bool:
    """True when ``value`` has everything ``pattern`` has (arrays: each pattern item is matched
    by some item), the pattern[x] rule."""
    if isinstance(pattern, Mapping):
        return isinstance(value, Mapping) and all(
            key in value and matches_pattern(expected, value[key])
            for key, expected in pattern.items()
        )
    if isinstance(pattern, list):
        items = value if isinstance(value, list) else [value]
        return all(any(matches_pattern(p, item) for item in items) for p in pattern)
    return bool(pattern == value)


def values_at(item: Any, path: str) -> list[Any]:
    """The values at a simple discriminator path (``$this``, ``system``, ``code.coding``)."""
    values = [item]
    if path == "$this":
        return values
    for step in path.split("."):
        found: list[Any] = []
        for value in values:
            child = value.get(step) if isinstance(value, Mapping) else None
            if isinstance(child, list):
                found.extend(child)
            elif child is not None:
                found.append(child)
        values = found
    return values


def _expected(index: ElementIndex, slice_: Element, path: str) -> tuple[str, Any] | None:
    if path == "$this":
        return fixed_or_pattern(slice_)
    target = index.by_id.get(f"{slice_['id']}.{path}")
    if target is not None and (found := fixed_or_pattern(target)) is not None:
        return found
    profiles = [p for t in slice_.get("type", []) for p in t.get("profile", [])]
    if path == "url" and profiles:  # an extension slice: its profile's canonical URL
        return "fixed", profiles[0]
    return None


def _value_matches(index: ElementIndex, slice_: Element, path: str, item: Any) -> bool:
    expected = _expected(index, slice_, path)
    if expected is None:
        return False
    kind, value = expected
    found = values_at(item, path)
    if kind == "fixed":
        return any(f == value for f in found)
    return any(matches_pattern(value, f) for f in found)


def slice_matches(
    index: ElementIndex,
    sliced: Element,
    slice_: Element,
    item: Any,
    item_type: str,
    conforms: Conforms,
) -> bool:
    """True when ``item`` (of type ``item_type``) belongs to ``slice_`` of ``sliced``."""
    for discriminator in sliced.get("slicing", {}).get("discriminator", []):
        kind, path = discriminator.get("type"), str(discriminator.get("path", "$this"))
        if kind in ("value", "pattern"):
            ok = _value_matches(index, slice_, path, item)
        elif kind == "type":
            ok = item_type in {t["code"] for t in slice_.get("type", [])}
        elif kind == "exists":
            ok = bool(values_at(item, path)) == (int(slice_.get("min", 0)) > 0)
        elif kind == "profile":
            profiles = [p for t in slice_.get("type", []) for p in t.get("profile", [])]
            ok = any(conforms(item, p) for p in profiles)
        else:
            ok = False
        if not ok:
            return False
    return True
