"""An independent FHIR R4 search evaluator: a plain scan over resource JSON, to check the engine.

Written from the specification text (https://hl7.org/fhir/R4/search.html), not from the
project's search code, and deliberately simple: every candidate resource is tested against
every criterion in Python. It knows only the parameters in ``PARAMS``, each mapped by hand to
its element paths from the R4 SearchParameter definitions; anything else raises ``KeyError``
so that a query never silently tests less than it says.

Covered: string (case- and accent-insensitive starts-with, ``:exact``, ``:contains``), token
(``system|code``, ``|code``, ``system|``, ``code``, ``:text``, ``:not``), date (implicit
precision ranges; prefixes eq ne gt lt ge le sa eb), number and quantity (prefixes, implicit
precision for eq/ne, ``system|code`` units), reference (``Type/id``, bare id, absolute URL on
the server's base, ``:Type``), uri (``:below``, ``:above``), composite, chains of any depth,
``_has`` (nested), ``:missing``, ``_id``, ``_lastUpdated``, ``_tag``, ``_profile``,
``_include``/``_revinclude`` (not ``:iterate``), ``_sort`` and ``_summary=count``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

Resource = dict[str, Any]
Range = tuple[datetime, datetime]
TokenValue = tuple[str | None, str | None, tuple[str, ...]]  # system, code, texts
QuantityValue = tuple[Decimal, str | None, str | None, str | None]  # value, system, code, unit


@dataclass(frozen=True)
class Param:
    """A search parameter: its type and the element paths (dotted, lists flattened)."""

    kind: str  # string | token | date | number | quantity | reference | uri | composite
    paths: tuple[str, ...]
    targets: tuple[str, ...] = ()  # reference: only references to these types count
    system: str | None = None  # token on a bare code: the code system it implies
    parts: tuple[Param, ...] = ()  # composite: components, paths relative to each element


def _p(kind: str, *paths: str, targets: tuple[str, ...] = (), system: str | None = None) -> Param:
    return Param(kind, paths, targets, system)


def _code_value_quantity(*paths: str) -> Param:
    return Param("composite", paths, parts=(_p("token", "code"), _p("quantity", "valueQuantity")))


FHIR_CS = "http://hl7.org/fhir/"
PATIENT = ("Patient",)
# Resource-level parameters (Resource.id, Resource.meta.*).
COMMON: dict[str, Param] = {
    "_id": _p("token", "id"),
    "_lastUpdated": _p("date", "meta.lastUpdated"),
    "_tag": _p("token", "meta.tag"),
    "_profile": _p("uri", "meta.profile"),
    "_security": _p("token", "meta.security"),
}
# Observation.effective, Condition.onset.as(dateTime) | .as(Period), ... as concrete JSON names.
PARAMS: dict[str, dict[str, Param]] = {
    "Patient": {
        "name": _p("string", "name"),
        "family": _p("string", "name.family"),
        "given": _p("string", "name.given"),
        "address": _p("string", "address"),
        "address-city": _p("string", "address.city"),
        "birthdate": _p("date", "birthDate"),
        "gender": _p("token", "gender", system=FHIR_CS + "administrative-gender"),
        "identifier": _p("token", "identifier"),
    },
    "Practitioner": {"name": _p("string", "name"), "family": _p("string", "name.family")},
    "Organization": {"name": _p("string", "name", "alias")},
    "Observation": {
        "code": _p("token", "code"),
        "category": _p("token", "category"),
        "status": _p("token", "status", system=FHIR_CS + "observation-status"),
        "date": _p("date", "effectiveDateTime", "effectivePeriod", "effectiveInstant"),
        "patient": _p("reference", "subject", targets=PATIENT),
        "subject": _p("reference", "subject"),
        "encounter": _p("reference", "encounter", targets=("Encounter", "EpisodeOfCare")),
        "value-quantity": _p("quantity", "valueQuantity"),
        "value-concept": _p("token", "valueCodeableConcept"),
        "component-code": _p("token", "component.code"),
        "code-value-quantity": _code_value_quantity(""),
        "component-code-value-quantity": _code_value_quantity("component"),
    },
    "Condition": {
        "code": _p("token", "code"),
        "clinical-status": _p("token", "clinicalStatus"),
        "verification-status": _p("token", "verificationStatus"),
        "onset-date": _p("date", "onsetDateTime", "onsetPeriod"),
        "abatement-date": _p("date", "abatementDateTime", "abatementPeriod"),
        "patient": _p("reference", "subject", targets=PATIENT),
        "subject": _p("reference", "subject"),
        "encounter": _p("reference", "encounter", targets=("Encounter",)),
    },
    "MedicationRequest": {
        "code": _p("token", "medicationCodeableConcept"),
        "medication": _p("reference", "medicationReference", targets=("Medication",)),
        "authoredon": _p("date", "authoredOn"),
        "status": _p("token", "status", system=FHIR_CS + "CodeSystem/medicationrequest-status"),
        "patient": _p("reference", "subject", targets=PATIENT),
        "subject": _p("reference", "subject"),
        "requester": _p("reference", "requester"),
        "encounter": _p("reference", "encounter", targets=("Encounter",)),
    },
    "Encounter": {
        "date": _p("date", "period"),
        "class": _p("token", "class"),
        "type": _p("token", "type"),
        "patient": _p("reference", "subject", targets=PATIENT),
        "subject": _p("reference", "subject"),
        "participant": _p("reference", "participant.individual"),
        "practitioner": _p("reference", "participant.individual", targets=("Practitioner",)),
        "service-provider": _p("reference", "serviceProvider", targets=("Organization",)),
    },
    "Immunization": {
        "vaccine-code": _p("token", "vaccineCode"),
        "date": _p("date", "occurrenceDateTime"),
        "patient": _p("reference", "patient", targets=PATIENT),
    },
    "Procedure": {
        "code": _p("token", "code"),
        "date": _p("date", "performedDateTime", "performedPeriod"),
        "patient": _p("reference", "subject", targets=PATIENT),
        "encounter": _p("reference", "encounter", targets=("Encounter", "EpisodeOfCare")),
    },
    "DiagnosticReport": {
        "code": _p("token", "code"),
        "date": _p("date", "effectiveDateTime", "effectivePeriod"),
        "result": _p("reference", "result", targets=("Observation",)),
        "patient": _p("reference", "subject", targets=PATIENT),
    },
    "Claim": {
        "patient": _p("reference", "patient", targets=PATIENT),
        "use": _p("token", "use", system=FHIR_CS + "claim-use"),
        "created": _p("date", "created"),
    },
    "ExplanationOfBenefit": {
        "patient": _p("reference", "patient", targets=PATIENT),
        "identifier": _p("token", "identifier"),
        "claim": _p("reference", "claim", targets=("Claim",)),
    },
}
RESULT_PARAMS = frozenset(
    {"_sort", "_count", "_include", "_revinclude", "_summary", "_total", "_elements", "_format"}
)
PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def param_of(resource_type: str, name: str) -> Param:
    """The parameter ``name`` of ``resource_type``; ``KeyError`` when the scan lacks it."""
    if name in COMMON:
        return COMMON[name]
    return PARAMS[resource_type][name]


# --- escaping (search.html#escaping) -------------------------------------------------------


def split_escaped(text: str, separator: str, limit: int = -1) -> list[str]:
    """Split on ``separator`` where it is not escaped by a backslash; escapes are kept."""
    parts: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            current.append(text[index : index + 2])
            index += 2
            continue
        if char == separator and limit != 0:
            parts.append("".join(current))
            current = []
            limit -= 1
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def unescape(text: str) -> str:
    """Drop the backslash before an escaped ``\\ , $ |``."""
    return re.sub(r"\\([\\,$|])", r"\1", text)


# --- element values ------------------------------------------------------------------------


def values_at(node: Any, path: str) -> list[Any]:
    """The values at a dotted path; lists are flattened at every step; '' is the node."""
    items = [node]
    for step in path.split(".") if path else []:
        found: list[Any] = []
        for item in items:
            if isinstance(item, dict) and step in item:
                value = item[step]
                found.extend(value if isinstance(value, list) else [value])
        items = found
    return items


def elements(node: Any, param: Param) -> list[Any]:
    """Every element the parameter's paths reach in ``node``."""
    return [value for path in param.paths for value in values_at(node, path)]


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a string."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def string_values(element: Any) -> list[str]:
    """The strings a string parameter sees: HumanName and Address parts, or the string."""
    if isinstance(element, str):
        return [element]
    if not isinstance(element, dict):
        return []
    keys: tuple[str, ...] = ("family", "given", "prefix", "suffix", "text")
    if not any(k in element for k in keys):
        keys = ("line", "city", "district", "state", "postalCode", "country", "text")
    return [s for key in keys for s in values_at(element, key) if isinstance(s, str)]


def token_values(element: Any, param: Param) -> list[TokenValue]:
    """(system, code, texts) of a CodeableConcept, Coding, Identifier, code or boolean."""
    if isinstance(element, bool):
        return [(None, "true" if element else "false", ())]
    if isinstance(element, str):
        return [(param.system, element, ())]
    if not isinstance(element, dict):
        return []
    if "coding" in element or ("text" in element and "code" not in element):
        text = (element["text"],) if "text" in element else ()
        codings = [token_values(c, param)[0] for c in element.get("coding", [])]
        found = [(system, code, texts + text) for system, code, texts in codings]
        return found or [(None, None, text)]
    if "value" in element and "code" not in element:  # Identifier
        type_text = values_at(element, "type.text")
        return [(element.get("system"), element["value"], tuple(type_text))]
    display = (element["display"],) if "display" in element else ()
    return [(element.get("system"), element.get("code"), display)]


def decimal_of(value: Any) -> Decimal:
    """A JSON number as a Decimal (floats through their shortest repr)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def quantity_values(element: Any) -> list[QuantityValue]:
    """(value, system, code, unit) of a Quantity."""
    if not isinstance(element, dict) or "value" not in element:
        return []
    value = decimal_of(element["value"])
    return [(value, element.get("system"), element.get("code"), element.get("unit"))]


def reference_values(element: Any, param: Param) -> list[str]:
    """The reference strings of a Reference, kept only when they point at a target type."""
    if not isinstance(element, dict) or not isinstance(element.get("reference"), str):
        return []
    reference: str = element["reference"].split("/_history/")[0]
    if param.targets and reference_type(reference) not in param.targets:
        return []
    return [reference]


def reference_type(reference: str) -> str | None:
    """The type segment of ``Type/id`` or ``.../Type/id``."""
    segments = reference.rstrip("/").split("/")
    return segments[-2] if len(segments) >= 2 else None


# --- dates ---------------------------------------------------------------------------------

DATE_TEXT = re.compile(
    r"(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?"
    r"(Z|[+-]\d{2}:\d{2})?)?)?)?"
)


def _zone(text: str | None) -> timezone:
    if text is None or text == "Z":  # no zone given: the server's zone, taken to be UTC
        return UTC
    sign = -1 if text[0] == "-" else 1
    return timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6])))


def date_range(text: str) -> Range:
    """The implicit range [low, high) of a date, dateTime or instant at its own precision."""
    match = DATE_TEXT.fullmatch(text)
    if match is None:
        raise ValueError(f"not a FHIR date: {text!r}")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    tz = _zone(zone)
    if month is None:
        return datetime(int(year), 1, 1, tzinfo=tz), datetime(int(year) + 1, 1, 1, tzinfo=tz)
    if day is None:
        low = datetime(int(year), int(month), 1, tzinfo=tz)
        return low, (low + timedelta(days=32)).replace(day=1)
    low = datetime(int(year), int(month), int(day), tzinfo=tz)
    if hour is None:
        return low, low + timedelta(days=1)
    low = low.replace(hour=int(hour), minute=int(minute))
    if second is None:
        return low, low + timedelta(minutes=1)
    low = low.replace(second=int(second))
    if fraction is None:
        return low, low + timedelta(seconds=1)
    digits = fraction[1:7]
    low = low.replace(microsecond=int(digits.ljust(6, "0")))
    return low, low + timedelta(microseconds=10 ** (6 - len(digits)))


def date_values(element: Any) -> list[Range]:
    """Ranges of a date-like string or a Period (an open end is unbounded)."""
    if isinstance(element, str):
        return [date_range(element)]
    if isinstance(element, dict) and ("start" in element or "end" in element):
        low = date_range(element["start"])[0] if "start" in element else EARLIEST
        high = date_range(element["end"])[1] if "end" in element else LATEST
        return [(low, high)]
    return []


def date_matches(prefix: str, search: Range, target: Range) -> bool:
    """The R4 prefix table for ranges (search.html#prefix)."""
    (s_low, s_high), (t_low, t_high) = search, target
    contained = s_low <= t_low and t_high <= s_high
    tests: dict[str, bool] = {
        "eq": contained,
        "ne": not contained,
        "gt": t_high > s_high,
        "lt": t_low < s_low,
        "ge": t_high > s_high or contained,
        "le": t_low < s_low or contained,
        "sa": t_low >= s_high,
        "eb": t_high <= s_low,
    }
    if prefix not in tests:
        raise ValueError(f"prefix {prefix!r} is not supported by the scan")
    return tests[prefix]


# --- numbers and quantities -----------------------------------------------------------------


def split_prefix(text: str) -> tuple[str, str]:
    """``ge2010`` -> (ge, 2010); no prefix means eq."""
    if text[:2] in PREFIXES and len(text) > 2 and (text[2].isdigit() or text[2] in "-."):
        return text[:2], text[2:]
    return "eq", text


def number_matches(prefix: str, text: str, target: Decimal) -> bool:
    """eq/ne use the search value's implicit precision; the others compare exactly."""
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise ValueError(f"not a number: {text!r}") from error
    exponent = value.as_tuple().exponent
    half = Decimal(5).scaleb(int(exponent) - 1)
    within = value - half <= target < value + half
    tests: dict[str, bool] = {
        "eq": within,
        "ne": not within,
        "gt": target > value,
        "lt": target < value,
        "ge": target >= value,
        "le": target <= value,
        "sa": target > value,
        "eb": target < value,
        "ap": abs(target - value) <= abs(value) / 10,
    }
    return tests[prefix]


def quantity_matches(text: str, target: QuantityValue) -> bool:
    """``[prefix]number|system|code``; an empty system matches the code or the unit."""
    number, system, code = [*[unescape(p) for p in split_escaped(text, "|", 2)], "", ""][:3]
    prefix, number = split_prefix(number)
    value, t_system, t_code, t_unit = target
    if code and system and (t_system, t_code) != (system, code):
        return False
    if code and not system and code not in (t_code, t_unit):
        return False
    return number_matches(prefix, number, value)


# --- leaf matching ---------------------------------------------------------------------------


def token_matches(text: str, target: TokenValue) -> bool:
    """``system|code``, ``|code`` (no system), ``system|`` (any code), ``code``."""
    t_system, t_code, _ = target
    if "|" not in text.replace("\\|", ""):
        return t_code == unescape(text)
    system, code = (unescape(p) for p in split_escaped(text, "|", 1))
    if not system:
        return t_system is None and t_code == code
    if not code:
        return t_system == system
    return (t_system, t_code) == (system, code)


def string_matches(modifier: str, text: str, target: str) -> bool:
    """Default: case/accent-insensitive starts-with; ``:exact``; ``:contains``."""
    if modifier == "exact":
        return target == text
    if modifier == "contains":
        return fold(text) in fold(target)
    return fold(target).startswith(fold(text))


def leaf_values(param: Param, node: Any) -> list[Any]:
    """The typed values of a (non-composite) parameter in ``node``."""
    found: list[Any] = []
    for element in elements(node, param):
        if param.kind == "string":
            found += string_values(element)
        elif param.kind == "token":
            found += token_values(element, param)
        elif param.kind == "date":
            found += date_values(element)
        elif param.kind == "quantity":
            found += quantity_values(element)
        elif param.kind == "number" and isinstance(element, int | float | str):
            found.append(decimal_of(element))
        elif param.kind == "reference":
            found += reference_values(element, param)
        elif param.kind in ("uri", "composite"):
            found.append(element)
    return found


def leaf_matches(param: Param, modifier: str, text: str, value: Any, base: str) -> bool:
    """One alternative (comma part) against one extracted value."""
    kind = param.kind
    if kind == "string":
        return string_matches(modifier, unescape(text), value)
    if kind == "token" and modifier == "text":
        return any(string_matches("", unescape(text), t) for t in value[2])
    if kind == "token":
        return token_matches(text, value)
    if kind == "date":
        prefix, rest = split_prefix(text)
        return date_matches(prefix, date_range(rest), value)
    if kind == "number":
        return number_matches(*split_prefix(text), value)
    if kind == "quantity":
        return quantity_matches(text, value)
    if kind == "reference":
        return reference_matches(modifier, unescape(text), value, base)
    if kind == "uri":
        return uri_matches(modifier, unescape(text), value)
    raise ValueError(f"parameter type {kind!r} is not supported by the scan")


def uri_matches(modifier: str, text: str, target: Any) -> bool:
    """Equality, or ``:below`` / ``:above`` as path prefixes."""
    if not isinstance(target, str):
        return False
    if modifier == "below":
        return target.startswith(text)
    if modifier == "above":
        return text.startswith(target)
    return target == text


def local_reference(reference: str, base: str) -> str:
    """``[base]/Type/id`` -> ``Type/id``; other references unchanged."""
    prefix = base.rstrip("/") + "/"
    return reference[len(prefix) :] if base and reference.startswith(prefix) else reference


def reference_matches(modifier: str, text: str, target: str, base: str) -> bool:
    """``Type/id``, a bare id (any allowed type), or an absolute URL on this server."""
    text, target = local_reference(text, base), local_reference(target, base)
    if modifier and reference_type(target) != modifier:
        return False
    if "/" in text:
        return target == text
    return target.rsplit("/", 1)[-1] == text


# --- the store -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    """What a search should answer: matches (in ``_sort`` order when sorted), includes."""

    matches: tuple[str, ...]  # "Type/id"
    includes: frozenset[str]
    ranks: Mapping[str, int]  # sort group per match: equal ranks may come in any order
    total: int
    count_only: bool


def key_of(resource: Resource) -> str:
    """``Type/id`` of a resource."""
    return f"{resource['resourceType']}/{resource['id']}"


class ScanStore:
    """Resources held in memory and searched by brute force."""

    def __init__(self, resources: Iterable[Resource], base: str = "") -> None:
        self.by_key: dict[str, Resource] = {key_of(r): r for r in resources}
        self.base = base

    def of_type(self, resource_type: str) -> list[Resource]:
        """Every resource of one type."""
        return [r for r in self.by_key.values() if r["resourceType"] == resource_type]

    def resolve(self, reference: str) -> Resource | None:
        """The stored resource a ``Type/id`` (or local absolute) reference names."""
        return self.by_key.get(local_reference(reference, self.base))

    def search(self, resource_type: str, params: Sequence[tuple[str, str]]) -> ScanResult:
        """Evaluate a type-level search."""
        iterating = [k for k, _ in params if k.startswith(("_include:", "_revinclude:"))]
        if iterating:
            raise ValueError(f"{iterating[0]} is not supported by the scan")
        criteria = [(k, v) for k, v in params if k.split(":")[0] not in RESULT_PARAMS]
        found = [r for r in self.of_type(resource_type) if self.satisfies(r, criteria)]
        control = {k: [v for key, v in params if key == k] for k, _ in params}
        sort_specs = [s for v in control.get("_sort", []) for s in v.split(",") if s]
        ordered, ranks = self.sort(resource_type, found, sort_specs)
        matches = tuple(key_of(r) for r in ordered)
        includes = self.includes(found, control.get("_include", []))
        includes |= self.revincludes(found, control.get("_revinclude", []))
        count_only = "count" in control.get("_summary", [])
        return ScanResult(
            matches, frozenset(includes - set(matches)), ranks, len(matches), count_only
        )

    def satisfies(self, resource: Resource, criteria: Sequence[tuple[str, str]]) -> bool:
        """AND over the criteria (a repeated parameter is AND)."""
        return all(self.matches(resource, key, value) for key, value in criteria)

    def matches(self, resource: Resource, key: str, value: str) -> bool:
        """One ``key=value`` criterion, chains and ``_has`` included."""
        if key.startswith("_has:"):
            return self.has(resource, key, value)
        head, _, chain = key.partition(".")
        name, _, modifier = head.partition(":")
        param = param_of(resource["resourceType"], name)
        if chain:
            return self.chained(resource, param, modifier, chain, value)
        check_modifier(param, modifier)
        values = leaf_values(param, resource)
        if modifier == "missing":
            return (not values) == (value == "true")
        alternatives = split_escaped(value, ",")
        if param.kind == "composite":
            return any(self.composite(resource, param, alt) for alt in alternatives)
        test_modifier = "" if modifier == "not" else modifier
        hit = any(
            leaf_matches(param, test_modifier, alt, v, self.base)
            for alt in alternatives
            for v in values
        )
        return not hit if modifier == "not" else hit

    def composite(self, resource: Resource, param: Param, text: str) -> bool:
        """All components must match within one element of the composite's path."""
        pieces = split_escaped(text, "$")
        if len(pieces) != len(param.parts):
            raise ValueError(f"composite value {text!r} needs {len(param.parts)} parts")
        return any(
            all(
                any(leaf_matches(part, "", piece, v, self.base) for v in leaf_values(part, el))
                for part, piece in zip(param.parts, pieces, strict=True)
            )
            for el in elements(resource, param)
        )

    def chained(
        self, resource: Resource, param: Param, modifier: str, chain: str, value: str
    ) -> bool:
        """``ref[:Type].rest=value``: some referenced resource satisfies ``rest=value``."""
        if param.kind != "reference":
            raise ValueError("only reference parameters can be chained")
        name = chain.partition(".")[0].partition(":")[0]
        allowed = (modifier,) if modifier else param.targets
        if allowed and not any(_knows(t, name) for t in allowed):
            raise KeyError(f"no target type of the chain knows {name!r}")
        for reference in leaf_values(param, resource):
            if modifier and reference_type(reference) != modifier:
                continue
            target = self.resolve(reference)
            if target is None or not _knows(target["resourceType"], name):
                continue
            if self.matches(target, chain, value):
                return True
        return False

    def has(self, resource: Resource, key: str, value: str) -> bool:
        """``_has:Type:ref:rest=value``: a Type whose ``ref`` points here satisfies ``rest``."""
        _, source_type, ref_name, rest = key.split(":", 3)
        me = key_of(resource)
        for source in self.of_type(source_type):
            param = param_of(source_type, ref_name)
            pointing = any(local_reference(r, self.base) == me for r in leaf_values(param, source))
            if pointing and self.matches(source, rest, value):
                return True
        return False

    def includes(self, found: Sequence[Resource], specs: Sequence[str]) -> set[str]:
        """``_include=Source:param[:Target]`` over the matches."""
        included: set[str] = set()
        for spec in specs:
            source_type, name, target_type = [*spec.split(":"), ""][:3]
            if source_type == "*" or name == "*" or not name:
                raise ValueError(f"_include {spec!r} is not supported by the scan")
            param = param_of(source_type, name)
            for resource in found:
                if resource["resourceType"] != source_type:
                    continue
                for reference in leaf_values(param, resource):
                    target = self.resolve(reference)
                    if target and (not target_type or target["resourceType"] == target_type):
                        included.add(key_of(target))
        return included

    def revincludes(self, found: Sequence[Resource], specs: Sequence[str]) -> set[str]:
        """``_revinclude=Source:param[:Target]``: resources whose param points at a match."""
        wanted = {key_of(r) for r in found}
        included: set[str] = set()
        for spec in specs:
            source_type, name, target_type = [*spec.split(":"), ""][:3]
            param = param_of(source_type, name)
            for source in self.of_type(source_type):
                for reference in leaf_values(param, source):
                    local = local_reference(reference, self.base)
                    if local in wanted and (
                        not target_type or reference_type(local) == target_type
                    ):
                        included.add(key_of(source))
        return included

    def sort(
        self, resource_type: str, found: Sequence[Resource], specs: Sequence[str]
    ) -> tuple[list[Resource], dict[str, int]]:
        """Order by ``_sort`` (``-`` descending); a resource without a value sorts last."""
        keys: list[tuple[Param, bool]] = [
            (param_of(resource_type, s.lstrip("-")), s.startswith("-")) for s in specs
        ]

        def compare(a: Resource, b: Resource) -> int:
            for param, descending in keys:
                left, right = sort_value(param, a, descending), sort_value(param, b, descending)
                if left == right:
                    continue
                if left is None or right is None:
                    return 1 if left is None else -1
                order = -1 if left < right else 1
                return -order if descending else order
            return 0

        by_id = sorted(found, key=key_of)
        ordered = sorted(by_id, key=functools.cmp_to_key(compare))
        ranks: dict[str, int] = {}
        for index, resource in enumerate(ordered):
            same = index > 0 and compare(ordered[index - 1], resource) == 0
            ranks[key_of(resource)] = ranks[key_of(ordered[index - 1])] if same else index
        return ordered, ranks


def _knows(resource_type: str, name: str) -> bool:
    return name == "_has" or name in COMMON or name in PARAMS.get(resource_type, {})


MODIFIERS: dict[str, tuple[str, ...]] = {
    "string": ("exact", "contains"),
    "token": ("text", "not"),
    "uri": ("below", "above"),
}


def check_modifier(param: Param, modifier: str) -> None:
    """Refuse a modifier the scan does not implement, rather than ignore it."""
    if modifier in ("", "missing") or modifier in MODIFIERS.get(param.kind, ()):
        return
    if param.kind == "reference" and modifier[:1].isupper():
        return
    raise ValueError(f"modifier :{modifier} on a {param.kind} is not supported by the scan")


def sort_value(param: Param, resource: Resource, descending: bool) -> Any:
    """The value a resource sorts by: of several, the one first in the requested order."""
    values = leaf_values(param, resource)
    if not values:
        return None
    pick: Callable[[Iterable[Any]], Any] = max if descending else min
    if param.kind == "date":
        return pick(high if descending else low for low, high in values)
    if param.kind == "token":
        return pick(code or "" for _, code, _ in values)
    if param.kind == "string":
        return pick(fold(v) for v in values)
    return pick(values)
