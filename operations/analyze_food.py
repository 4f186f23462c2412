"""``$analyze-food``: a meal described in text, photographed or spoken, as a NutritionIntake.

https://nutrivision.example.org/fhir/OperationDefinition/analyze-food (this module's
``DEFINITION``), on https://hl7.org/fhir/R5/nutritionintake.html. Type level on
NutritionIntake and instance level on Patient; a Parameters body or a multipart/form-data
upload with exactly one of ``text``, ``image`` and ``audio``. The answer proposes a
NutritionIntake (``preparation``) with one consumedItem per recognised food, its confidence
and evidence, the patient's allergen and interaction findings, and the phrases not recognised;
``persist=true`` stores it as ``completed``. The photo and voice recognisers are services of
the composition root (``ml_ops.recognition``); without one, such a request is answered 503.
"""

from __future__ import annotations

from typing import Any

from ml_ops.recognition import SERVICE_IMAGE, SERVICE_SPEECH
from ml_ops.text.pipeline import analyse_text, check_language, default_matcher
from operations.base import OperationContext, OperationResult
from operations.food_intake.answer import answer
from operations.food_intake.intake import nutrition_intake
from operations.food_intake.items import Recognised, from_image, from_text, from_transcript
from operations.food_intake.limits import SERVICE_GATE, AnalysisGate, default_gate
from operations.food_intake.media import audio_type, check_size, decode_base64, image_type
from operations.food_intake.request import FoodRequest, from_form, from_parameters
from operations.food_intake.safety import check_foods, require_patient
from operations.food_intake.store import persist
from operations.parameters import Parameters
from resources import error_codes, fhir_json
from resources.errors import Invalid, NotFound, ServiceUnavailable
from resources.identity import now

RAW_MEDIA_TYPES = ("multipart/form-data",)


def _in(name: str, type_: str, doc: str) -> dict[str, Any]:
    return {"name": name, "use": "in", "min": 0, "max": "1", "type": type_, "documentation": doc}


DEFINITION: dict[str, Any] = {
    "resourceType": "OperationDefinition",
    "id": "analyze-food",
    "url": "https://nutrivision.example.org/fhir/OperationDefinition/analyze-food",
    "name": "AnalyzeFood",
    "title": "Recognise the foods of a meal from text, a photo or a voice clip",
    "status": "active",
    "kind": "operation",
    "code": "analyze-food",
    "resource": ["NutritionIntake", "Patient"],
    "system": False,
    "type": True,
    "instance": True,
    "affectsState": True,
    "parameter": [
        _in("text", "string", "The meal as written ('2 scrambled eggs and toast'); exactly "
            "one of text, image and audio"),
        _in("image", "Attachment", "A photo (JPEG, PNG, WebP, HEIC...) as base64 data, or a "
            "valueReference to a Binary holding it"),
        _in("audio", "Attachment", "A voice clip (WAV, FLAC, OGG/Opus, WebM, MP3) as base64"),
        _in("mealType", "code", "breakfast | lunch | dinner | snack (else read from the text)"),
        _in("occurrence", "dateTime", "When the meal was eaten (default: now)"),
        _in("language", "code", "Language of the text or speech (only English is supported)"),
        _in("portionHint", "decimal", "Factor applied to every portion (0.5: half portions)"),
        _in("persist", "boolean", "true: store the intake as completed for the patient"),
        _in("plateDiameter", "decimal", "Plate diameter in cm, the photo's size reference"),
        _in("patient", "Reference", "Type level: the patient the meal is for"),
        {"name": "intake", "use": "out", "min": 0, "max": "1", "type": "NutritionIntake",
         "documentation": "The proposed (or, with persist, stored) NutritionIntake"},
        {"name": "confidence", "use": "out", "min": 1, "max": "1", "type": "decimal"},
        {"name": "source", "use": "out", "min": 1, "max": "1", "type": "code"},
        {"name": "model", "use": "out", "min": 1, "max": "1", "type": "string"},
        {"name": "item", "use": "out", "min": 0, "max": "*", "documentation": "Parts text, "
         "name, food (Reference), grams, household, portionBasis, confidence, nutrient"},
        {"name": "finding", "use": "out", "min": 0, "max": "*", "type": "DetectedIssue"},
        {"name": "unrecognised", "use": "out", "min": 0, "max": "*",
         "documentation": "Parts text, start and end (offsets in the text)"},
        {"name": "outcome", "use": "out", "min": 1, "max": "1", "type": "OperationOutcome"},
    ],
}  # fmt: skip


async def handle(ctx: OperationContext, params: Parameters) -> OperationResult:
    """Recognise, check against the patient's record, propose (or store) the intake."""
    request = _request(ctx, params)
    patient = _patient(ctx, request)
    if request.persist and patient is None:
        raise Invalid(
            "persist needs a patient: Patient/[id]/$analyze-food or the patient parameter",
            error_codes.ANALYZE_FOOD_PERSIST_NEEDS_PATIENT,
        )
    if patient is not None:
        await require_patient(ctx.store, patient)
    gate = ctx.services.get(SERVICE_GATE) or default_gate()
    recognised = await _recognise(ctx, request, gate)
    check = await check_foods(ctx.store, recognised, patient) if patient else None
    intake = None
    if recognised.items:
        occurrence = request.occurrence or now()
        meal = request.meal_type or recognised.meal_type
        intake = nutrition_intake(recognised, patient, occurrence, now(), meal)
        if request.persist:
            intake = await persist(ctx.store, intake)
    return OperationResult(answer(recognised, intake, check, patient))


def _request(ctx: OperationContext, params: Parameters) -> FoodRequest:
    if ctx.content_type.split(";")[0].strip().lower() == "multipart/form-data":
        return from_form(ctx.body, ctx.content_type)
    return from_parameters(params)


def _patient(ctx: OperationContext, request: FoodRequest) -> str | None:
    if ctx.id is not None:
        if request.patient is not None:
            raise Invalid(
                "At Patient/[id]/$analyze-food the patient is the one in the path",
                error_codes.ANALYZE_FOOD_BAD_PARAMETER,
                ("Parameters.parameter.patient",),
            )
        return f"Patient/{ctx.id}"
    return request.patient


async def _recognise(ctx: OperationContext, request: FoodRequest, gate: AnalysisGate) -> Recognised:
    # The matcher is built on first use (about a second): inside the worker thread, off the loop.
    hint = request.portion_hint
    if request.kind == "text":
        text, language = request.text, request.language
        return await gate.run(lambda: from_text(analyse_text(text, language, hint)))
    data = await _bytes(ctx, request)
    limit = gate.limits.max_upload_bytes
    where = f"Parameters.parameter.{request.kind}"
    check_size(data, limit, where)
    if request.kind == "image":
        media = image_type(data, where)
        analyser = _service(ctx, SERVICE_IMAGE, "photo")
        plate = request.plate_diameter_cm
        return await gate.run(
            lambda: from_image(
                analyser.analyse(data, media, plate_diameter_cm=plate), default_matcher()
            )
        )
    media = audio_type(data, where)
    check_language(request.language)  # the transcript is matched to English food names
    speech = _service(ctx, SERVICE_SPEECH, "voice")
    language = request.language or "en"
    return await gate.run(
        lambda: from_transcript(speech.transcribe(data, media, language), None, hint)
    )


def _service(ctx: OperationContext, name: str, what: str) -> Any:
    found = ctx.services.get(name)
    if found is None:
        raise ServiceUnavailable(
            f"{what.capitalize()} recognition is not available on this server",
            error_codes.ANALYZE_FOOD_NO_RECOGNISER,
        )
    return found


async def _bytes(ctx: OperationContext, request: FoodRequest) -> bytes:
    if request.binary is None:
        return request.data
    stored = await ctx.store.read("Binary", request.binary.split("/", 1)[1])
    body = _binary_body(stored.body if stored is not None and not stored.deleted else None)
    if body is None:
        raise NotFound(f"{request.binary} is not known", error_codes.ANALYZE_FOOD_BINARY_NOT_FOUND)
    return decode_base64(body, "Parameters.parameter.image")


def _binary_body(raw: bytes | None) -> str | None:
    if raw is None:
        return None
    data = fhir_json.loads(raw).get("data")
    return data if isinstance(data, str) else None
