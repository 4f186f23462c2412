"""Photo bytes -> an RGB array, with a clear error for anything that is not a readable photo."""

from __future__ import annotations

import io
import warnings

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from resources import error_codes
from resources.errors import Invalid, PayloadTooLarge, UnsupportedMediaType

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
"""Larger photos are refused before decoding: a 40-megapixel RGB array is already 120 MB."""
FORMATS = {"JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF", "MPO"}
MEDIA_TYPES = {"image/jpeg", "image/png", "image/webp", "image/bmp", "image/gif", "image/tiff"}


def decode(data: bytes, media_type: str) -> NDArray[np.uint8]:
    """The photo as (H, W, 3) uint8 RGB, turned upright by its EXIF orientation."""
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(
            f"the photo has {len(data)} bytes; at most {MAX_BYTES} are accepted",
            error_codes.IMAGE_TOO_LARGE,
        )
    base_type = media_type.split(";")[0].strip().lower()
    if base_type and base_type not in MEDIA_TYPES and base_type != "application/octet-stream":
        raise UnsupportedMediaType(
            f"{base_type} is not a photo type the analyser reads", error_codes.IMAGE_UNREADABLE
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                _check_header(image)
                image.load()
                upright = ImageOps.exif_transpose(image)
                return np.asarray(upright.convert("RGB"), dtype=np.uint8)
        except (UnidentifiedImageError, ImportError):
            # ImportError: where ultralytics is imported (training), it wraps Image.open and
            # tries a HEIF plugin for what PIL cannot identify.
            raise UnsupportedMediaType(
                "the upload is not an image the analyser can read", error_codes.IMAGE_UNREADABLE
            ) from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _too_many_pixels() from None
        except (OSError, ValueError, SyntaxError) as error:
            raise Invalid(
                f"the image is damaged or truncated: {error}", error_codes.IMAGE_CORRUPT
            ) from None


def _check_header(image: Image.Image) -> None:
    if image.format not in FORMATS:
        raise UnsupportedMediaType(
            f"{image.format} images are not read by the analyser", error_codes.IMAGE_UNREADABLE
        )
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise _too_many_pixels(width, height)


def _too_many_pixels(width: int = 0, height: int = 0) -> PayloadTooLarge:
    size = f"{width}x{height} " if width else ""
    return PayloadTooLarge(
        f"the photo {size}has more than {MAX_PIXELS} pixels", error_codes.IMAGE_TOO_LARGE
    )
