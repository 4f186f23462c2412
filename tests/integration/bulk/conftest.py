"""A server of its own for the bulk tests: its data directory (where export files go) is a
temporary one, and jobs are polled for often so the tests wait little."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from fhir_server.embedded import ServiceUrls
from fhir_server.settings import Settings
from tests.servers import running_server
from tests.synthea import bundle_paths, load_synthea

Resource = dict[str, Any]
ServerFactory = Callable[..., AbstractContextManager[str]]
FHIR_JSON = "application/fhir+json"


@pytest.fixture(scope="session")
def bulk_dir() -> Iterator[Path]:
    """The bulk servers' data directory."""
    with tempfile.TemporaryDirectory(prefix="nutrivision-bulk-") as folder:
        yield Path(folder)


@pytest.fixture(scope="session")
def bulk_server(services: ServiceUrls, bulk_dir: Path, master_key: SecretStr) -> ServerFactory:
    """Start a server on the session's database with bulk settings (overridable)."""

    def start(**overrides: Any) -> AbstractContextManager[str]:
        values: dict[str, Any] = {
            "data_dir": bulk_dir,
            "jobs_poll_seconds": 0.1,
            "auth_required": False,  # these tests are about bulk data; scopes: test_bulk_scopes
            "master_key": master_key,  # the session's database holds keys wrapped by it
        }
        return running_server(services, Settings(**(values | overrides)))

    return start


@pytest.fixture(scope="session")
def bulk_url(bulk_server: ServerFactory) -> Iterator[str]:
    """The FHIR base of the session's bulk server."""
    with bulk_server() as url:
        yield url


@pytest.fixture
def bulk(bulk_url: str) -> Iterator[httpx.Client]:
    """A client on the bulk server."""
    headers = {"Accept": FHIR_JSON, "Content-Type": FHIR_JSON}
    with httpx.Client(base_url=bulk_url, headers=headers, timeout=60) as http:
        yield http


@pytest.fixture(scope="session")
def synthea(bulk_url: str) -> dict[str, Resource]:
    """Two Synthea bundles loaded by PUT, by ``Type/id``."""
    with httpx.Client(base_url=bulk_url, timeout=60) as http:
        done = load_synthea(http, bundle_paths()[:2])
    return {f"{r['resourceType']}/{r['id']}": r for r in done.resources}


def wait_for(client: httpx.Client, status_url: str, timeout: float = 60) -> httpx.Response:
    """Poll a status URL until it is no longer 202 (checking the 202's headers)."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(status_url)
        if response.status_code != 202:
            return response
        assert response.headers["Retry-After"].isdigit()
        assert response.headers["X-Progress"]
        if time.monotonic() > deadline:
            raise AssertionError(f"{status_url} still running after {timeout} s")
        time.sleep(0.1)
