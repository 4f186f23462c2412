"""Keys at start: created on the first start, and a missing or wrong master key stops the
start with a message saying so (never a silent new key, never plain text)."""

from __future__ import annotations

import base64
import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine
from typer.testing import CliRunner

from fhir_server.cli import app
from fhir_server.crypto.keystore import MasterSource, load_protection
from fhir_server.db import migrate
from fhir_server.db.engine import sync_url
from fhir_server.embedded import ServiceUrls
from resources.crypto.envelope import CryptoError, new_key
from tests.servers import fresh_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def empty(services: ServiceUrls) -> Iterator[tuple[str, Engine]]:
    with fresh_database(services.database_url) as url:
        migrate.upgrade(url)
        engine = create_engine(sync_url(url))
        yield url, engine
        engine.dispose()


def test_first_start_creates_the_keys_and_later_starts_need_that_master_key(
    empty: tuple[str, Engine],
) -> None:
    _, engine = empty
    with tempfile.TemporaryDirectory() as folder:
        key_file = Path(folder) / "data" / "master.key"
        source = MasterSource(None, key_file)
        with engine.begin() as conn:
            first, master = load_protection(conn, source)
        assert key_file.exists()
        assert key_file.stat().st_mode & 0o777 == 0o600
        with engine.begin() as conn:
            again, same = load_protection(conn, source)
        assert same.fingerprint == master.fingerprint
        assert again.index_key_id == first.index_key_id
        assert again.keyring.active_id == first.keyring.active_id
        key_file.unlink()
        with engine.begin() as conn, pytest.raises(CryptoError, match="no master key"):
            load_protection(conn, source)
        assert not key_file.exists(), "a missing key is never replaced by a new one"
        other = MasterSource(base64.b64encode(new_key()).decode(), key_file)
        with engine.begin() as conn, pytest.raises(CryptoError, match="wrapped by master key"):
            load_protection(conn, other)


def test_a_wrong_key_stops_the_command_with_one_line(
    empty: tuple[str, Engine], services: ServiceUrls
) -> None:
    url, engine = empty
    with (
        tempfile.TemporaryDirectory() as folder,
        engine.begin() as conn,
        contextlib.suppress(CryptoError),  # they exist already: the first test ran here
    ):
        load_protection(conn, MasterSource(None, Path(folder) / "master.key"))  # the keys
    env = {
        "NUTRIVISION_DATABASE_URL": url,
        "NUTRIVISION_REDIS_URL": services.redis_url,
        "NUTRIVISION_MASTER_KEY": base64.b64encode(new_key()).decode(),
    }
    result = CliRunner().invoke(app, ["keys", "status"], env=env)
    assert result.exit_code == 2
    assert "PHI keys:" in result.output
    assert "wrapped by master key" in result.output
    bad = CliRunner().invoke(app, ["keys", "status"], env={**env, "NUTRIVISION_MASTER_KEY": "x"})
    assert bad.exit_code == 2
