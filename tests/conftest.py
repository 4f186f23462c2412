"""Shared fixtures: one FHIR server per test session, on real PostgreSQL and Redis."""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from fhir_server.embedded import ServiceUrls
from fhir_server.settings import Settings
from tests.servers import backing_services, running_server

pytest_plugins = ("tests.auth_fixtures", "tests.no_network")

TEST_BODY_LIMIT = 256 * 1024
TEST_MAX_BUNDLE_ENTRIES = 100


@pytest.fixture(scope="session")
def services() -> Iterator[ServiceUrls]:
    """PostgreSQL and Redis for the session, with a fresh database (at its end, every version
    stored there must be valid FHIR: ``servers.fresh_database``).

    The data lives in a directory of its own rather than pytest's rotating temporary
    directories, which another pytest run on the machine may clean up under a running server.
    """
    temporary = tempfile.TemporaryDirectory(prefix="nutrivision-test-", ignore_cleanup_errors=True)
    with temporary as data_dir, backing_services(Path(data_dir)) as urls:
        yield urls


# One master key for every server and command the tests start, in this process or a child:
# they share the session's database, whose data keys it wraps, but not a data directory.
os.environ.setdefault("NUTRIVISION_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())


@pytest.fixture(scope="session")
def master_key() -> SecretStr:
    """The session's master key (``NUTRIVISION_MASTER_KEY``)."""
    return SecretStr(os.environ["NUTRIVISION_MASTER_KEY"])


@pytest.fixture(scope="session")
def settings(master_key: SecretStr) -> Iterator[Settings]:
    """Server settings for tests: a small body limit so the 413 path is cheap to reach, a data
    directory of the session's own, and auth off (the authorization tests start servers of
    their own with auth on)."""
    with tempfile.TemporaryDirectory(prefix="nutrivision-data-") as data_dir:
        yield Settings(
            data_dir=Path(data_dir),
            max_body_bytes=TEST_BODY_LIMIT,
            max_bundle_entries=TEST_MAX_BUNDLE_ENTRIES,
            auth_required=False,
            master_key=master_key,
        )


@pytest.fixture(scope="session")
def base_url(services: ServiceUrls, settings: Settings) -> Iterator[str]:
    """The FHIR base URL of a server running for the whole session."""
    with running_server(services, settings) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    """An HTTP client on the FHIR base, sending FHIR JSON by default."""
    headers = {"Accept": "application/fhir+json", "Content-Type": "application/fhir+json"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        yield http
