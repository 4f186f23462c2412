"""Builders for the ``$analyze-food`` tests: request bodies and readers of the answer."""

from __future__ import annotations

import base64
from typing import Any

import httpx

EVIDENCE = "https://nutrivision.example.org/fhir/StructureDefinition/recognition-evidence"
CONFIDENCE = "https://nutrivision.example.org/fhir/StructureDefinition/recognition-confidence"
VERIFIED = "https://nutrivision.example.org/fhir/StructureDefinition/recognition-verified"
INPUT_SOURCE = "https://nutrivision.example.org/fhir/StructureDefinition/input-source"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32


def text_body(text: str, **options: dict[str, Any]) -> dict[str, Any]:
    """A Parameters body with ``text`` and option entries (``name=value-dict``)."""
    entries: list[dict[str, Any]] = [{"name": "text", "valueString": text}]
    entries += [{"name": name, **value} for name, value in options.items()]
    return {"resourceType": "Parameters", "parameter": entries}


def attachment_body(kind: str, data: bytes, content_type: str) -> dict[str, Any]:
    """A Parameters body with an image or audio Attachment."""
    attachment = {"contentType": content_type, "data": base64.b64encode(data).decode()}
    return {
        "resourceType": "Parameters",
        "parameter": [{"name": kind, "valueAttachment": attachment}],
    }


def analyze(
    client: httpx.Client, body: dict[str, Any], path: str = "/NutritionIntake"
) -> dict[str, Any]:
    """POST ``$analyze-food``; asserts 200 and returns the Parameters."""
    response = client.post(f"{path}/$analyze-food", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def named(answer: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The entries of the answer called ``name``."""
    return [p for p in answer["parameter"] if p["name"] == name]


def intake_of(answer: dict[str, Any]) -> dict[str, Any]:
    """The NutritionIntake of the answer."""
    found: dict[str, Any] = named(answer, "intake")[0]["resource"]
    return found


def parts(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry's parts by name (the first of each name)."""
    out: dict[str, Any] = {}
    for part in entry["part"]:
        out.setdefault(part["name"], part)
    return out


def extension(element: dict[str, Any], url: str) -> list[dict[str, Any]]:
    """The extensions of ``element`` with ``url``."""
    return [e for e in element.get("extension", []) if e["url"] == url]


def post_form(client: httpx.Client, path: str, files: dict[str, Any]) -> httpx.Response:
    """POST a multipart/form-data upload (the shared client sends FHIR JSON by default)."""
    with httpx.Client(base_url=client.base_url, timeout=30) as plain:
        return plain.post(path, files=files, headers={"Accept": "application/fhir+json"})
