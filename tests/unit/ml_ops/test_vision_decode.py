"""Photo bytes the analyser cannot use: each a clear error with its NV code, never a crash."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from ml_ops.vision import decode
from resources import error_codes
from resources.errors import FhirError, Invalid, PayloadTooLarge, UnsupportedMediaType


def _jpeg(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def _code(error: pytest.ExceptionInfo[FhirError]) -> str:
    return error.value.nv_code


def test_a_jpeg_decodes_to_rgb() -> None:
    rgb = decode.decode(_jpeg(), "image/jpeg")
    assert rgb.shape == (48, 64, 3)
    assert rgb.dtype == np.uint8


def test_non_image_bytes_are_unsupported() -> None:
    with pytest.raises(UnsupportedMediaType) as error:
        decode.decode(b"%PDF-1.7 not a photo at all", "image/jpeg")
    assert _code(error) == error_codes.IMAGE_UNREADABLE


def test_a_non_image_media_type_is_unsupported() -> None:
    with pytest.raises(UnsupportedMediaType) as error:
        decode.decode(_jpeg(), "application/pdf")
    assert _code(error) == error_codes.IMAGE_UNREADABLE


def test_a_truncated_jpeg_is_invalid() -> None:
    data = _jpeg(640, 480)
    with pytest.raises(Invalid) as error:
        decode.decode(data[: len(data) // 2], "image/jpeg")
    assert _code(error) == error_codes.IMAGE_CORRUPT


def test_a_huge_photo_is_refused_before_decoding() -> None:
    buffer = io.BytesIO()
    Image.new("1", (8000, 6000)).save(buffer, "PNG")  # 48 megapixels in a few kilobytes
    with pytest.raises(PayloadTooLarge) as error:
        decode.decode(buffer.getvalue(), "image/png")
    assert _code(error) == error_codes.IMAGE_TOO_LARGE
    assert "8000x6000" in error.value.message


def test_too_many_bytes_are_refused() -> None:
    with pytest.raises(PayloadTooLarge) as error:
        decode.decode(b"\xff" * (decode.MAX_BYTES + 1), "image/jpeg")
    assert _code(error) == error_codes.IMAGE_TOO_LARGE


def test_exif_orientation_is_applied() -> None:
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees: the stored 64x48 is shown as 48x64
    Image.new("RGB", (64, 48)).save(buffer, "JPEG", exif=exif)
    assert decode.decode(buffer.getvalue(), "image/jpeg").shape == (64, 48, 3)
