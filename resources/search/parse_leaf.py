"""One search value of one parameter -> its leaf, per parameter type and modifier.

https://hl7.org/fhir/R4/search.html#ptypes. Each ``*_leaf`` function reads one value (one
item of a comma-separated list, escapes still in place) and returns the ``query`` node for it.
``leaf_builder`` picks the function for a parameter and modifier, so a modifier is checked once
per parameter rather than once per value.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Literal

from resources.resource_types import SERVED_TYPES
from resources.search.param_def import SearchParamDef
from resources.search.parse_errors import Unsupported, malformed, unsupported_modifier
from resources.search.parse_values import (
    date_range,
    number_range,
    split_prefix,
    split_unescaped,
    unescape,
)
from resources.search.query import (
    CompositeMatch,
    DateMatch,
    Leaf,
    NumberMatch,
    QuantityMatch,
    ReferenceMatch,
    StringMatch,
    TokenMatch,
    UriMatch,
)
from resources.search.registry import SearchRegistry
from resources.search.strings import normalise

LeafBuilder = Callable[[str], Leaf]
Builder = Callable[[str], Leaf | CompositeMatch]

_RELATIVE = re.compile(
    r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/([A-Za-z0-9\-.]{1,64}))?$"
)
_ABSOLUTE_TAIL = re.compile(r"/([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(?:/_history/([^/]+))?$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
NOT_YET = {
    "reference": frozenset({"below", "above"}),
}
"""Modifiers the specification defines that this server does not support yet."""


def string_leaf(param: SearchParamDef, mode: str, raw: str) -> StringMatch:
    """Starts-with and ``:contains`` on the normalised text; ``:exact`` as written."""
    text = unescape(raw)
    if mode == "exact":
        return StringMatch(param, text, "exact")
    return StringMatch(param, normalise(text), "contains" if mode == "contains" else "starts")


def token_leaf(name: str, param: SearchParamDef, raw: str) -> TokenMatch:
    """``code``, ``system|code``, ``|code`` (no system) or ``system|`` (any code)."""
    parts = [unescape(part) for part in split_unescaped(raw, "|")]
    if len(parts) == 1:
        return TokenMatch(param, None, parts[0])
    if len(parts) > 2 or parts == ["", ""]:
        raise malformed(name, f"'{raw}' is not [system]|[code] (escape a '|' as '\\|')")
    system, code = parts
    if not system:
        return TokenMatch(param, None, code, no_system=True)
    return TokenMatch(param, system, code or None)


def token_in_leaf(name: str, param: SearchParamDef, raw: str) -> TokenMatch:
    """``:in``: a value set's canonical URL (``url|version`` allowed)."""
    url = unescape(raw)
    if not url:
        raise malformed(name, "':in' takes the URL of a value set")
    return TokenMatch(param, None, None, mode="in", text=url)


def token_hierarchy_leaf(
    name: str, param: SearchParamDef, mode: Literal["below", "above"], raw: str
) -> TokenMatch:
    """``:below``/``:above``: ``system|code``, the code and those under (or over) it."""
    parts = [unescape(part) for part in split_unescaped(raw, "|")]
    if len(parts) != 2 or not all(parts):
        raise malformed(name, f"':{mode}' takes system|code, not '{raw}'")
    return TokenMatch(param, parts[0], parts[1], mode=mode)


def token_text_leaf(param: SearchParamDef, raw: str) -> TokenMatch:
    """``:text``: the normalised text, matched against display and text."""
    return TokenMatch(param, None, None, mode="text", text=normalise(unescape(raw)))


def token_of_type_leaf(name: str, param: SearchParamDef, raw: str) -> TokenMatch:
    """``:of-type``: ``type-system|type-code|value``, all three required."""
    parts = [unescape(part) for part in split_unescaped(raw, "|")]
    if len(parts) != 3 or not all(parts):
        raise malformed(name, f"'{raw}' is not [type-system]|[type-code]|[value]")
    type_system, type_code, value = parts
    return TokenMatch(
        param, None, value, mode="of-type", type_system=type_system, type_code=type_code
    )


def date_leaf(name: str, param: SearchParamDef, raw: str) -> DateMatch:
    """``[prefix]date``: the value's range at its precision, in UTC."""
    prefix, text = split_prefix(name, unescape(raw))
    low, high = date_range(name, text)
    return DateMatch(param, prefix, low, high)


def number_leaf(name: str, param: SearchParamDef, raw: str) -> NumberMatch:
    """``[prefix]number``: the value and the range its precision implies."""
    prefix, text = split_prefix(name, unescape(raw))
    value, low, high = number_range(name, text)
    return NumberMatch(param, prefix, value, low, high)


def quantity_leaf(name: str, param: SearchParamDef, raw: str) -> QuantityMatch:
    """``[prefix]number``, ``[prefix]number|system|code`` or ``[prefix]number||code``."""
    parts = [unescape(part) for part in split_unescaped(raw, "|")]
    if len(parts) not in (1, 3):
        raise malformed(name, f"'{raw}' is not [prefix][number]|[system]|[code]")
    prefix, text = split_prefix(name, parts[0])
    value, low, high = number_range(name, text)
    system, code = (parts[1] or None, parts[2] or None) if len(parts) == 3 else (None, None)
    return QuantityMatch(param, prefix, value, low, high, system, code)


def reference_leaf(name: str, param: SearchParamDef, type_: str | None, raw: str) -> ReferenceMatch:
    """``Type/id[/_history/n]``, bare ``id``, an absolute URL, or a canonical ``url|version``.

    A bare id takes its type from the ``:Type`` modifier, else from a single-target parameter.
    """
    parts = split_unescaped(raw, "|")
    if len(parts) > 2:
        raise malformed(name, f"'{raw}' is not url|version (escape a '|' as '\\|')")
    if len(parts) == 2:
        return ReferenceMatch(param, url=unescape(parts[0]), version=unescape(parts[1]) or None)
    text = unescape(raw)
    relative = _RELATIVE.match(text)
    if relative:
        if type_ is not None and relative.group(1) != type_:
            raise malformed(name, f"'{text}' is not a reference to a {type_}")
        return ReferenceMatch(param, relative.group(1), relative.group(2), None, relative.group(3))
    if _SCHEME.match(text):
        return _absolute(param, text)
    if _ID.match(text):
        single = param.target[0] if len(param.target) == 1 else None
        return ReferenceMatch(param, type_ or single, text)
    raise malformed(name, f"'{raw}' is not a reference (Type/id, id, URL or url|version)")


def _absolute(param: SearchParamDef, url: str) -> ReferenceMatch:
    tail = _ABSOLUTE_TAIL.search(url) if "://" in url else None
    if tail is None:
        return ReferenceMatch(param, url=url)
    return ReferenceMatch(param, tail.group(1), tail.group(2), url, tail.group(3))


def reference_identifier_leaf(name: str, param: SearchParamDef, raw: str) -> ReferenceMatch:
    """``:identifier``: ``system|value``, ``|value`` or ``value`` of Reference.identifier."""
    parts = [unescape(part) for part in split_unescaped(raw, "|")]
    if len(parts) == 1:
        return ReferenceMatch(param, identifier_value=parts[0])
    if len(parts) > 2 or parts == ["", ""]:
        raise malformed(name, f"'{raw}' is not [system]|[value]")
    return ReferenceMatch(
        param, identifier_system=parts[0] or None, identifier_value=parts[1] or None
    )


def uri_leaf(param: SearchParamDef, mode: str, raw: str) -> UriMatch:
    """A uri as written; ``:below`` and ``:above`` compare by prefix."""
    text = unescape(raw)
    if mode == "below":
        return UriMatch(param, text, "below")
    return UriMatch(param, text, "above" if mode == "above" else "eq")


def composite_leaf(
    registry: SearchRegistry, name: str, param: SearchParamDef, raw: str
) -> CompositeMatch:
    """``a$b``: one value per component, each read by its component parameter's type."""
    parts = split_unescaped(raw, "$")
    if len(parts) != len(param.component):
        count = len(param.component)
        raise malformed(name, f"'{raw}' needs {count} '$'-separated parts")
    leaves: list[Leaf] = []
    for component, part in zip(param.component, parts, strict=True):
        definition = registry.by_url(component.definition)
        if definition is None:
            raise Unsupported(
                f"Search parameter '{name}': component {component.definition} unknown"
            )
        leaves.append(simple_builder(definition, None, name)(part))
    return CompositeMatch(param, tuple(leaves))


def leaf_builder(
    registry: SearchRegistry, param: SearchParamDef, modifier: str | None, name: str
) -> Builder:
    """The reader of one value of ``param`` with ``modifier`` (``Unsupported`` if none)."""
    if param.type == "composite":
        if modifier is not None:
            raise unsupported_modifier(name, modifier)
        return functools.partial(composite_leaf, registry, name, param)
    return simple_builder(param, modifier, name)


def simple_builder(param: SearchParamDef, modifier: str | None, name: str) -> LeafBuilder:
    """The reader of one value of a non-composite parameter with ``modifier``."""
    if modifier in NOT_YET.get(param.type, ()):
        raise unsupported_modifier(name, modifier or "")
    builders = _BUILDERS.get(param.type)
    builder = builders(name, param, modifier) if builders else None
    if builder is None:
        if modifier is None:
            raise Unsupported(f"Search parameter '{name}' is not supported yet")
        raise unsupported_modifier(name, modifier)
    return builder


def _string(name: str, param: SearchParamDef, modifier: str | None) -> LeafBuilder | None:
    del name
    if modifier in (None, "exact", "contains"):
        return functools.partial(string_leaf, param, modifier or "starts")
    return None


def _token(name: str, param: SearchParamDef, modifier: str | None) -> LeafBuilder | None:
    if modifier is None:
        return functools.partial(token_leaf, name, param)
    if modifier == "text":
        return functools.partial(token_text_leaf, param)
    if modifier == "of-type":
        return functools.partial(token_of_type_leaf, name, param)
    if modifier == "in":
        return functools.partial(token_in_leaf, name, param)
    if modifier == "below":
        return functools.partial(token_hierarchy_leaf, name, param, "below")
    if modifier == "above":
        return functools.partial(token_hierarchy_leaf, name, param, "above")
    return None


def _reference(name: str, param: SearchParamDef, modifier: str | None) -> LeafBuilder | None:
    if modifier == "identifier":
        return functools.partial(reference_identifier_leaf, name, param)
    if modifier is None or modifier in SERVED_TYPES:
        if modifier is not None and param.target and modifier not in param.target:
            raise malformed(name, f"{modifier} is not a target of '{param.code}'")
        return functools.partial(reference_leaf, name, param, modifier)
    return None


def _uri(name: str, param: SearchParamDef, modifier: str | None) -> LeafBuilder | None:
    del name
    if modifier in (None, "below", "above"):
        return functools.partial(uri_leaf, param, modifier or "eq")
    return None


def _plain(
    read: Callable[[str, SearchParamDef, str], Leaf],
) -> Callable[[str, SearchParamDef, str | None], LeafBuilder | None]:
    def choose(name: str, param: SearchParamDef, modifier: str | None) -> LeafBuilder | None:
        return functools.partial(read, name, param) if modifier is None else None

    return choose


_BUILDERS: dict[str, Callable[[str, SearchParamDef, str | None], LeafBuilder | None]] = {
    "string": _string,
    "token": _token,
    "reference": _reference,
    "uri": _uri,
    "date": _plain(date_leaf),
    "number": _plain(number_leaf),
    "quantity": _plain(quantity_leaf),
}
