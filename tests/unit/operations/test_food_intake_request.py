"""``$analyze-food`` request reading: Parameters, multipart forms, file types, limits."""

from __future__ import annotations

import asyncio
import base64
import threading

import pytest

from operations.food_intake.limits import AnalysisGate, AnalysisLimits
from operations.food_intake.media import audio_type, check_size, image_type, parse_form
from operations.food_intake.request import from_form, from_parameters
from operations.parameters import Parameters
from resources import error_codes
from resources.errors import FhirError, Invalid, PayloadTooLarge, ServiceUnavailable

BOUNDARY = "xYzZy"
FORM_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def _form(*fields: tuple[str, bytes, str | None]) -> bytes:
    out = b""
    for name, data, filename in fields:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        kind = "image/jpeg" if filename else "text/plain"
        head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\nContent-Type: {kind}"
        out += f"{head}\r\n\r\n".encode()
        out += data + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def test_a_form_with_a_photo_and_options() -> None:
    jpeg = b"\xff\xd8\xff\xe0" + bytes(range(256))
    body = _form(
        ("image", jpeg, "meal.jpg"), ("mealType", b"lunch", None), ("persist", b"true", None)
    )
    request = from_form(body, FORM_TYPE)
    assert (request.kind, request.data, request.media_type) == ("image", jpeg, "image/jpeg")
    assert (request.meal_type, request.persist) == ("lunch", True)
    assert [p.name for p in parse_form(body, FORM_TYPE)] == ["image", "mealType", "persist"]


def test_a_form_with_two_inputs_is_refused() -> None:
    body = _form(("text", b"an apple", None), ("image", b"\xff\xd8\xff", "a.jpg"))
    with pytest.raises(Invalid) as raised:
        from_form(body, FORM_TYPE)
    assert raised.value.nv_code == error_codes.ANALYZE_FOOD_INPUT_COUNT


def test_a_form_with_an_unknown_field_is_refused() -> None:
    with pytest.raises(Invalid):
        from_form(_form(("text", b"an apple", None), ("colour", b"red", None)), FORM_TYPE)


def test_parameters_with_a_binary_reference_and_options() -> None:
    params = Parameters((
        {"name": "image", "valueReference": {"reference": "Binary/photo-1"}},
        {"name": "plateDiameter", "valueDecimal": 27},
        {"name": "occurrence", "valueDateTime": "2026-01-15T12:30:00+01:00"},
    ))  # fmt: skip
    request = from_parameters(params)
    assert (request.kind, request.binary, request.plate_diameter_cm) == (
        "image",
        "Binary/photo-1",
        27.0,
    )
    assert request.occurrence is not None
    assert request.occurrence.utcoffset() is not None


def test_parameters_with_audio_data() -> None:
    wav = b"RIFF\x00\x00\x00\x00WAVEfmt "
    attachment = {"contentType": "audio/wav", "data": base64.b64encode(wav).decode()}
    request = from_parameters(Parameters(({"name": "audio", "valueAttachment": attachment},)))
    assert (request.kind, request.data) == ("audio", wav)


@pytest.mark.parametrize(
    ("data", "media"),
    [
        (b"\xff\xd8\xff\xe0....", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypheic....", "image/heic"),
    ],
)
def test_image_types_by_their_first_bytes(data: bytes, media: str) -> None:
    assert image_type(data, "image") == media


def test_not_an_image_or_audio() -> None:
    for check, code in (
        (image_type, error_codes.ANALYZE_FOOD_NOT_IMAGE),
        (audio_type, error_codes.ANALYZE_FOOD_NOT_AUDIO),
    ):
        with pytest.raises(FhirError) as raised:
            check(b"%PDF-1.7 a document", "x")
        assert (raised.value.status, raised.value.nv_code) == (415, code)
    assert audio_type(b"OggS\x00\x02", "audio") == "audio/ogg"
    assert audio_type(b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio") == "audio/wav"


def test_size_limit() -> None:
    with pytest.raises(PayloadTooLarge) as raised:
        check_size(b"x" * 2049, 2048, "image")
    assert raised.value.nv_code == error_codes.ANALYZE_FOOD_UPLOAD_TOO_LARGE
    with pytest.raises(Invalid):
        check_size(b"", 2048, "image")
    check_size(b"x" * 2048, 2048, "image")


def test_slow_work_is_a_503_and_keeps_its_slot() -> None:
    gate = AnalysisGate(AnalysisLimits(concurrency=1, timeout_s=0.05, queue_wait_s=0.05))
    release = threading.Event()

    async def scenario() -> tuple[str, str]:
        with pytest.raises(ServiceUnavailable) as slow:
            await gate.run(lambda: release.wait(5))
        with pytest.raises(ServiceUnavailable) as busy:
            await gate.run(lambda: 1)  # the stuck analysis still holds the only slot
        release.set()
        for _ in range(200):  # the thread ends, then its slot is freed
            if not gate.saturated():
                break
            await asyncio.sleep(0.025)
        assert await gate.run(lambda: 2) == 2
        return slow.value.nv_code, busy.value.nv_code

    codes = asyncio.run(scenario())
    assert codes == (error_codes.ANALYZE_FOOD_TIMEOUT, error_codes.ANALYZE_FOOD_OVERLOADED)
