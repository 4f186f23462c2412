"""``nutrivision keys protect``: bodies stored before encryption are sealed and the PHI values
of their index become blind indexes; ``keys status`` counts the versions per key."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from typer.testing import CliRunner

from fhir_server.cli import app
from fhir_server.db import migrate
from fhir_server.embedded import ServiceUrls
from resources.crypto import protection
from tests.integration.phi.phi_data import libpq
from tests.servers import fresh_database

pytestmark = pytest.mark.integration

OLD = (
    b'{"resourceType":"Patient","id":"old","meta":{"versionId":"1",'
    b'"lastUpdated":"2020-01-01T00:00:00Z"},"name":[{"family":"Olderwick"}]}'
)


@pytest.fixture
def legacy(services: ServiceUrls) -> Iterator[dict[str, str]]:
    with fresh_database(services.database_url) as url:
        migrate.upgrade(url)
        with psycopg.connect(libpq(url)) as conn:
            conn.execute("INSERT INTO resource VALUES ('Patient', 'old', 1, '2020-01-01Z', false)")
            conn.execute(
                "INSERT INTO resource_version (resource_type, id, version_id, last_updated,"
                " method, deleted, body) VALUES ('Patient', 'old', 1, '2020-01-01Z', 'POST',"
                " false, %s)",
                (OLD,),
            )
            conn.execute(
                "INSERT INTO search_string (resource_type, resource_id, param, normalised, exact)"
                " VALUES ('Patient', 'old', 'family', 'olderwick', 'Olderwick')"
            )
        yield {"NUTRIVISION_DATABASE_URL": url, "NUTRIVISION_REDIS_URL": services.redis_url}


def test_protect_seals_old_bodies_and_blinds_their_index(
    base_url: str, legacy: dict[str, str]
) -> None:
    del base_url  # the session's server holds its keys; this database receives the same
    result = CliRunner().invoke(app, ["keys", "protect"], env=legacy)
    assert result.exit_code == 0, result.output
    assert "1 versions sealed, 1 person resources reindexed" in result.output
    installed = protection.current()
    assert installed is not None
    with psycopg.connect(libpq(legacy["NUTRIVISION_DATABASE_URL"])) as conn:
        body, key = conn.execute("SELECT body, body_key FROM resource_version").fetchone() or ()
        strings = [r[0] for r in conn.execute("SELECT normalised FROM search_string")]
        strings_rows = "SELECT param, prefixes FROM search_token WHERE prefixes IS NOT NULL"
        tokens = conn.execute(strings_rows).fetchall()
    assert bytes(body)[:1] == b"\x01"
    assert b"Olderwick" not in bytes(body)
    assert strings == []
    # family, one row of its prefix keys (in the name group's domain)
    assert tokens == [("family", installed.blind.prefix_keys("name", "olderwick"))]
    status = CliRunner().invoke(app, ["keys", "status"], env=legacy)
    assert status.exit_code == 0, status.output
    assert f"{key} active, 1 versions" in status.output


def test_rotate_from_the_command_line(base_url: str, legacy: dict[str, str]) -> None:
    del base_url
    runner = CliRunner()
    assert runner.invoke(app, ["keys", "protect"], env=legacy).exit_code == 0
    before = protection.current()
    result = runner.invoke(app, ["keys", "rotate", "--grace", "0.2", "--batch", "1"], env=legacy)
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1, 0 left" in result.output
    assert protection.current() is before, "a rotation does not touch this process's keys"
    with psycopg.connect(libpq(legacy["NUTRIVISION_DATABASE_URL"])) as conn:
        states = sorted(r[0] for r in conn.execute("SELECT state FROM phi_key"))
        (key,) = conn.execute("SELECT body_key FROM resource_version").fetchone() or ()
    assert states == ["active", "active", "retired"]  # index key, new data key, old data key
    status = runner.invoke(app, ["keys", "status"], env=legacy)
    assert f"{key} active, 1 versions" in status.output
