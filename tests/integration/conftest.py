"""Fixtures for the REST tests: extra clients for concurrent requests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import pytest

ClientFactory = Callable[[], httpx.Client]

FHIR_HEADERS = {"Accept": "application/fhir+json", "Content-Type": "application/fhir+json"}


@pytest.fixture
def new_client(base_url: str) -> Iterator[ClientFactory]:
    """Open independent HTTP clients (own connections), all closed after the test."""
    with ExitStack() as stack:

        def open_client() -> httpx.Client:
            client = httpx.Client(base_url=base_url, headers=FHIR_HEADERS, timeout=60)
            return stack.enter_context(client)

        yield open_client
