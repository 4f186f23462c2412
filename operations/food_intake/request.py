"""The ``$analyze-food`` request, from a Parameters body or a multipart/form-data upload.

Exactly one of ``text``, ``image`` and ``audio``; the options ``mealType``, ``occurrence``,
``language``, ``portionHint``, ``persist``, ``plateDiameter`` and (type level) ``patient``.
In a form the options are text fields and ``image``/``audio`` are file fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from operations.food_intake.media import FormPart, decode_base64, parse_form
from operations.parameters import Parameters
from resources import error_codes
from resources.errors import Invalid

Kind = Literal["text", "image", "audio"]
KINDS: tuple[Kind, ...] = ("text", "image", "audio")
MEAL_TYPES = ("breakfast", "lunch", "dinner", "snack")


@dataclass(frozen=True)
class FoodRequest:
    """What to analyse and how."""

    kind: Kind
    text: str = ""
    data: bytes = b""
    media_type: str = ""
    binary: str | None = None
    """A ``Binary/[id]`` reference to read the image from, instead of ``data``."""
    meal_type: str | None = None
    occurrence: datetime | None = None
    language: str | None = None
    portion_hint: float | None = None
    persist: bool = False
    plate_diameter_cm: float | None = None
    patient: str | None = None


def _bad(message: str, name: str, code: str = error_codes.ANALYZE_FOOD_BAD_PARAMETER) -> Invalid:
    return Invalid(message, code, (f"Parameters.parameter.{name}",))


def _one_kind(present: list[Kind]) -> Kind:
    if len(present) != 1:
        found = ", ".join(present) or "none"
        raise Invalid(
            f"$analyze-food takes exactly one of text, image or audio (found: {found})",
            error_codes.ANALYZE_FOOD_INPUT_COUNT,
        )
    return present[0]


def from_parameters(params: Parameters) -> FoodRequest:
    """The request of a Parameters body."""
    kind = _one_kind([k for k in KINDS if params.has(k)])
    value = params.value(kind)
    options = _options({name: _text_of(params.value(name)) for name in _OPTIONS})
    if kind == "text":
        if not isinstance(value, str):
            raise _bad("text must be a string", "text")
        return FoodRequest("text", text=value, **options)
    if not isinstance(value, dict):
        raise _bad(f"{kind} must be an Attachment or a Reference to a Binary", kind)
    if "reference" in value:
        reference = str(value["reference"])
        if kind != "image" or not reference.startswith("Binary/"):
            raise _bad("Only an image may be given as a Reference, to a Binary", kind)
        return FoodRequest(kind, binary=reference, **options)
    data = value.get("data")
    if not isinstance(data, str) or not data:
        raise _bad(
            f"The {kind} Attachment has no data", kind, error_codes.ANALYZE_FOOD_BAD_ATTACHMENT
        )
    where = f"Parameters.parameter.{kind}"
    media = str(value.get("contentType", ""))
    return FoodRequest(kind, data=decode_base64(data, where), media_type=media, **options)


def from_form(body: bytes, content_type: str) -> FoodRequest:
    """The request of a multipart/form-data upload."""
    fields: dict[str, FormPart] = {}
    for part in parse_form(body, content_type):
        if part.name in fields:
            raise _bad(f"The form has the field {part.name!r} twice", part.name)
        fields[part.name] = part
    unknown = sorted(set(fields) - set(KINDS) - set(_OPTIONS))
    if unknown:
        raise _bad(f"$analyze-food has no input {unknown[0]!r}", unknown[0])
    kind = _one_kind([k for k in KINDS if k in fields])
    options = _options(
        {n: fields[n].data.decode("utf-8", "replace") for n in _OPTIONS if n in fields}
    )
    part = fields[kind]
    if kind == "text":
        return FoodRequest("text", text=part.data.decode("utf-8", "replace"), **options)
    return FoodRequest(kind, data=part.data, media_type=part.content_type, **options)


_OPTIONS = ("mealType", "occurrence", "language", "portionHint", "persist", "plateDiameter",
            "patient")  # fmt: skip


def _text_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        if "reference" in value:
            return str(value["reference"])
        if "value" in value:
            return str(value["value"])  # a Quantity: plateDiameter in cm
        raise _bad("An option has a value of the wrong type", "option")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _options(raw: dict[str, str | None]) -> dict[str, Any]:
    meal = (raw.get("mealType") or "").strip().lower() or None
    if meal is not None and meal not in MEAL_TYPES:
        raise _bad(f"mealType must be one of {', '.join(MEAL_TYPES)}", "mealType")
    persist = (raw.get("persist") or "false").strip().lower()
    if persist not in ("true", "false"):
        raise _bad("persist must be true or false", "persist")
    return {
        "meal_type": meal,
        "occurrence": _instant(raw.get("occurrence")),
        "language": (raw.get("language") or "").strip() or None,
        "portion_hint": _positive(raw.get("portionHint"), "portionHint"),
        "persist": persist == "true",
        "plate_diameter_cm": _positive(raw.get("plateDiameter"), "plateDiameter"),
        "patient": _patient(raw.get("patient")),
    }


def _instant(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise _bad("occurrence must be a dateTime with a time zone", "occurrence") from error
    if value.tzinfo is None:
        raise _bad("occurrence must be a dateTime with a time zone", "occurrence")
    return value


def _positive(raw: str | None, name: str) -> float | None:
    if raw is None or not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError as error:
        raise _bad(f"{name} must be a number", name) from error
    if not 0 < value < 1000:
        raise _bad(f"{name} must be a positive number", name)
    return value


def _patient(raw: str | None) -> str | None:
    if not raw:
        return None
    parts = raw.strip().split("/")
    if len(parts) < 2 or parts[-2] != "Patient" or not parts[-1]:
        raise _bad("patient must be a Reference to a Patient", "patient")
    return f"Patient/{parts[-1]}"
