"""The served photo model: named in /ready and in the CapabilityStatement's software."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from conformance.capability_statement import SERVED_MODEL_URL
from ml_ops import registry
from ml_ops.recognition import SERVICE_IMAGE
from ml_ops.vision import analyser

pytestmark = pytest.mark.integration


@pytest.fixture
def service(base_url: str) -> Iterator[httpx.Client]:
    """A client on the server root, where /ready lives."""
    with httpx.Client(base_url=base_url.removesuffix("/fhir"), timeout=30) as http:
        yield http


def _reference() -> str:
    return registry.latest(analyser.models_folder(), analyser.MODEL_NAME).reference


def test_ready_names_the_loaded_model(service: httpx.Client) -> None:
    deadline = time.monotonic() + 60
    while True:  # the model loads in the background after start
        body = service.get("/ready").json()
        model = body["models"][SERVICE_IMAGE]
        if model["status"] != "warn" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert model == {"status": "pass", "model": _reference()}
    assert body["status"] == "pass"


def test_capability_statement_names_the_model(client: httpx.Client) -> None:
    software = client.get("/metadata").json()["software"]
    assert {"url": SERVED_MODEL_URL, "valueString": f"{SERVICE_IMAGE}: {_reference()}"} in software[
        "extension"
    ]
