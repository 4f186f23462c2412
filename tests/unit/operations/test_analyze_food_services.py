"""``$analyze-food`` on a process without a photo or voice recogniser: a 503 naming what is
missing, after the input itself was checked (a server without the models still tells a client
that its upload is bad)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any, cast

import pytest

from operations.analyze_food import handle
from operations.base import OperationContext
from operations.parameters import Parameters
from resources import error_codes
from resources.errors import FhirError
from resources.ports import ResourceStore

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32


def _invoke(kind: str, data: bytes, media_type: str) -> FhirError:
    # A type-level call without a patient or persist never touches the store.
    ctx = OperationContext(
        store=cast(ResourceStore, None),
        base_url="http://localhost/fhir",
        method="POST",
        resource_type="NutritionIntake",
    )
    attachment: dict[str, Any] = {
        "contentType": media_type,
        "data": base64.b64encode(data).decode(),
    }
    params = Parameters(({"name": kind, "valueAttachment": attachment},))
    with pytest.raises(FhirError) as raised:
        asyncio.run(handle(ctx, params))
    return raised.value


@pytest.mark.parametrize(
    ("kind", "data", "media_type"), [("image", PNG, "image/png"), ("audio", WAV, "audio/wav")]
)
def test_without_a_recogniser_it_is_503(kind: str, data: bytes, media_type: str) -> None:
    error = _invoke(kind, data, media_type)
    assert (error.status, error.nv_code) == (503, error_codes.ANALYZE_FOOD_NO_RECOGNISER)


def test_a_bad_upload_is_refused_before_the_missing_recogniser() -> None:
    error = _invoke("audio", b"not a sound at all", "audio/wav")
    assert (error.status, error.nv_code) == (415, error_codes.ANALYZE_FOOD_NOT_AUDIO)
