"""Small, seeded corruptions of valid resources, for comparing validators on near-misses.

Each mutant changes one or two nodes of a copy of the resource: a key removed or added (an
unknown element, a second ``value[x]``, a ``_primitive`` extension, a ``resourceType``), a
string, number or boolean replaced by a value of a nearby but wrong format (dates out of
range, codes and ids with spaces, integers past 32 bits, decimals that are not finite), a
list emptied, unwrapped or given a null, an object wrapped in a list.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Iterator
from typing import Any

from resources.fhir_json import JsonDecimal

Node = tuple[Any, Any, Any]
"""(container, key or index, value); the root's container is None."""

BAD_STRINGS = (
    "",
    " ",
    "x ",
    " x",
    "a  b",
    "a\tb",
    "a\nb",
    "a\x00b",
    "\u00e4",
    "x" * 70,
    "2020-02-30",
    "2020-13-01",
    "2019-02-29",
    "2020-1-01",
    "20200101",
    "2020-01-01T25:00:00Z",
    "2020-01-01T10:00:00",
    "2020-01-01T10:00Z",
    "2020-01-01T10:00:00+14:01",
    "2020-01-01T10:00:00.Z",
    "2020-01-01 10:00:00Z",
    "24:00:00",
    "10:60",
    "urn:oid:1.2.a",
    "urn:oid:1.02",
    "urn:uuid:not-a-uuid",
    "http://exa mple.org",
    "1.5e3",
    "-0",
    "01",
    "+1",
    "abc def",
    "Patient/",
    "<div>x</div>",
    "AAA=",
    "not base64!",
    "true",
)
BAD_NUMBERS: tuple[Any, ...] = (
    0,
    -1,
    1,
    2**31 - 1,
    2**31,
    -(2**31) - 1,
    2**63,
    True,
    "1",
    JsonDecimal("1.0"),
    JsonDecimal("1e400"),
    JsonDecimal("-0.0"),
    JsonDecimal("1E3"),
    10**30,
)
CHOICE_SAMPLES: dict[str, Any] = {
    "String": "x",
    "Boolean": True,
    "Integer": 1,
    "Decimal": JsonDecimal("1.5"),
    "DateTime": "2020-01-01",
    "Date": "2020-01-01",
    "Instant": "2020-01-01T00:00:00Z",
    "Time": "10:00:00",
    "Uri": "urn:x",
    "Code": "x",
    "CodeableConcept": {"text": "x"},
    "Coding": {"code": "x"},
    "Quantity": {"value": 1},
    "Age": {"value": 1},
    "Period": {"start": "2020"},
    "Range": {"low": {"value": 1}},
    "Ratio": {"numerator": {"value": 1}},
    "Reference": {"display": "x"},
    "Attachment": {"url": "urn:x"},
    "Timing": {"event": ["2020"]},
    "Money": {"value": 1},
}
CHOICE = re.compile("^([a-z][A-Za-z]*?)(" + "|".join(CHOICE_SAMPLES) + ")$")
ADDED: tuple[tuple[str, Any], ...] = (
    ("bogus", "x"),
    ("fhir_comments", "x"),
    ("resource_type", "Patient"),
    ("resourceType", "Patient"),
    ("resourceType", "Observation"),
    ("id", "x y"),
    ("id", "a" * 65),
    ("extension", [{"url": "urn:x"}]),
    ("extension", [{"valueString": "x"}]),
    ("extension", [{"url": "urn:x", "valueString": "x", "valueBoolean": True}]),
    ("modifierExtension", [{"url": "urn:x", "valueCode": "a b"}]),
    ("contained", [{"resourceType": "Basic", "code": {"text": "x"}}]),
    ("contained", [{"resourceType": "Observation", "code": {"text": "x"}}]),
    ("contained", [{"resourceType": "Patient", "birthDate": "2020-02-30"}]),
)


def nodes(value: Any, container: Any = None, key: Any = None) -> Iterator[Node]:
    """Every node of a JSON value, depth first."""
    yield container, key, value
    if isinstance(value, dict):
        for name, child in value.items():
            yield from nodes(child, value, name)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from nodes(child, value, index)


def _set(container: Any, key: Any, value: Any) -> None:
    container[key] = value


def _mutate_dict(data: dict[str, Any], rng: random.Random) -> str:
    keys = [key for key in data if key != "resourceType"] or list(data)
    choice = rng.randrange(5)
    if choice == 0 and keys:
        key = rng.choice(keys)
        del data[key]
        return f"removed {key}"
    if choice == 1:
        primitives = [k for k in keys if isinstance(data[k], str | bool | int | float)]
        if primitives:
            key = rng.choice(primitives)
            data["_" + key] = rng.choice(({}, {"id": "x"}, {"extension": [{"url": "urn:x"}]}))
            return f"added _{key}"
    if choice == 2:
        for key in rng.sample(keys, len(keys)):
            if match := CHOICE.match(key):
                other = rng.choice([name for name in CHOICE_SAMPLES if name != match[2]])
                data[match[1] + other] = copy.deepcopy(CHOICE_SAMPLES[other])
                return f"second choice {match[1]}{other} beside {key}"
    if choice == 3 and keys:
        key = rng.choice(keys)
        data[key + "_"] = data.pop(key)
        return f"renamed {key}"
    name, value = rng.choice(ADDED)
    data[name] = copy.deepcopy(value)
    return f"added {name}={value!r}"


def _mutate_list(container: Any, key: Any, items: list[Any], rng: random.Random) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        items.insert(rng.randrange(len(items) + 1), rng.choice((None, {}, "x", 1)))
        return f"inserted into {key}"
    if choice == 1 and items:
        _set(container, key, items[0])
        return f"unwrapped {key}"
    if choice == 2 and items:
        items.append(copy.deepcopy(items[0]))
        return f"repeated {key}"
    _set(container, key, [])
    return f"emptied {key}"


def mutate(resource: dict[str, Any], rng: random.Random) -> str:
    """Corrupt one node of ``resource`` in place; says what was done."""
    container, key, value = rng.choice(list(nodes(resource)))
    if container is None:
        return _mutate_dict(resource, rng)
    if isinstance(value, dict):
        if rng.random() < 0.7:
            return _mutate_dict(value, rng)
        _set(container, key, rng.choice(([value], "x", {}, None)))
        return f"replaced the object at {key}"
    if isinstance(value, list):
        return _mutate_list(container, key, value, rng)
    if isinstance(value, str):
        candidates = (*BAD_STRINGS, value + " ", " " + value, value.upper(), value[:-1])
        _set(container, key, rng.choice(candidates))
    elif isinstance(value, bool):
        _set(container, key, rng.choice(("true", 1, None, 0)))
    else:
        _set(container, key, rng.choice(BAD_NUMBERS))
    return f"replaced {key}={value!r}"


def mutants(
    resource: dict[str, Any], rng: random.Random, count: int
) -> Iterator[tuple[dict[str, Any], str]]:
    """``count`` mutants of ``resource``, each with one or two corruptions."""
    for _ in range(count):
        mutant = copy.deepcopy(resource)
        done = [mutate(mutant, rng) for _ in range(rng.choice((1, 1, 2)))]
        yield mutant, "; ".join(done)
