"""Uploaded bytes: multipart forms, base64 attachments, and what kind of file they are.

A multipart/form-data body is read with the standard library's MIME parser (the form is a
MIME multipart message once given its Content-Type header). Images and audio are recognised
by their first bytes, not by the declared type alone: a renamed text file is not a photo.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

from resources import error_codes
from resources.errors import Invalid, PayloadTooLarge, UnsupportedMediaType

_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)
_AUDIO_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"fLaC", "audio/flac"),
    (b"OggS", "audio/ogg"),
    (b"\x1a\x45\xdf\xa3", "audio/webm"),
    (b"ID3", "audio/mpeg"),
    (b"\xff\xfb", "audio/mpeg"),
    (b"\xff\xf3", "audio/mpeg"),
    (b"\xff\xf2", "audio/mpeg"),
)


@dataclass(frozen=True)
class FormPart:
    """One field of a multipart form: text, or a file's bytes and media type."""

    name: str
    data: bytes
    content_type: str
    filename: str | None


def parse_form(body: bytes, content_type: str) -> list[FormPart]:
    """The fields of a multipart/form-data body."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise Invalid("The multipart form could not be read", error_codes.ANALYZE_FOOD_BAD_FORM)
    parts: list[FormPart] = []
    for part in message.iter_parts():
        parts.append(_form_part(part))
    if not parts:
        raise Invalid("The multipart form has no fields", error_codes.ANALYZE_FOOD_BAD_FORM)
    return parts


def _form_part(part: Message) -> FormPart:
    name = part.get_param("name", header="content-disposition")
    if not isinstance(name, str) or not name:
        raise Invalid("A form field has no name", error_codes.ANALYZE_FOOD_BAD_FORM)
    filename = part.get_filename()
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    return FormPart(name, data, part.get_content_type(), filename)


def decode_base64(data: str, where: str) -> bytes:
    """The bytes of an Attachment's ``data``."""
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as error:
        raise Invalid(
            f"{where} is not valid base64", error_codes.ANALYZE_FOOD_BAD_ATTACHMENT, (where,)
        ) from error


def check_size(data: bytes, limit: int, where: str) -> None:
    """Refuse an upload over ``limit`` bytes (413) and an empty one (400)."""
    if len(data) > limit:
        raise PayloadTooLarge(
            f"{where} is {len(data)} bytes, over the limit of {limit}",
            error_codes.ANALYZE_FOOD_UPLOAD_TOO_LARGE,
            (where,),
        )
    if not data:
        raise Invalid(f"{where} is empty", error_codes.ANALYZE_FOOD_BAD_ATTACHMENT, (where,))


def image_type(data: bytes, where: str) -> str:
    """The image media type the bytes are (JPEG, PNG, GIF, BMP, WebP, HEIC), else 415."""
    for magic, media in _IMAGE_MAGIC:
        if data.startswith(magic):
            return media
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"avif"):
        return "image/heic" if data[8:12] != b"avif" else "image/avif"
    raise UnsupportedMediaType(
        f"{where} is not an image (JPEG, PNG, GIF, BMP, WebP or HEIC)",
        error_codes.ANALYZE_FOOD_NOT_IMAGE,
        (where,),
    )


def audio_type(data: bytes, where: str) -> str:
    """The audio media type the bytes are (WAV, FLAC, OGG/Opus, WebM, MP3, MP4), else 415."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    for magic, media in _AUDIO_MAGIC:
        if data.startswith(magic):
            return media
    if data[4:8] == b"ftyp":
        return "audio/mp4"
    raise UnsupportedMediaType(
        f"{where} is not audio (WAV, FLAC, OGG/Opus, WebM, MP3 or MP4)",
        error_codes.ANALYZE_FOOD_NOT_AUDIO,
        (where,),
    )
