"""``nutrivision keys protect`` rebuilds the full-text rows of every type under the index key:
rows written without PHI protection (under the public key) become keyed digests."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from typer.testing import CliRunner

from fhir_server.cli import app
from fhir_server.db import migrate
from fhir_server.embedded import ServiceUrls
from resources.crypto import protection
from resources.search.index_rows import PLAIN_WORDS
from tests.integration.phi.phi_data import libpq
from tests.servers import fresh_database

pytestmark = pytest.mark.integration

WORDS = ["quarrelsome", "gooseberry", "fool"]
OLD = (
    b'{"resourceType":"Observation","id":"old","status":"final","code":{"text":"x"},'
    b'"text":{"status":"generated","div":"<div xmlns=\\"http://www.w3.org/1999/xhtml\\">'
    b'Quarrelsome gooseberry fool</div>"}}'
)


@pytest.fixture
def plain_observation(services: ServiceUrls) -> Iterator[dict[str, str]]:
    with fresh_database(services.database_url) as url:
        migrate.upgrade(url)
        with psycopg.connect(libpq(url)) as conn:
            conn.execute(
                "INSERT INTO resource VALUES ('Observation', 'old', 1, '2020-01-01Z', false)"
            )
            conn.execute(
                "INSERT INTO resource_version (resource_type, id, version_id, last_updated,"
                " method, deleted, body) VALUES ('Observation', 'old', 1, '2020-01-01Z', 'POST',"
                " false, %s)",
                (OLD,),
            )
            conn.execute(
                "INSERT INTO search_text VALUES ('Observation', 'old', '_text', %s)",
                (PLAIN_WORDS.word_digests("_text", WORDS),),
            )
        yield {"NUTRIVISION_DATABASE_URL": url, "NUTRIVISION_REDIS_URL": services.redis_url}


def test_protect_redigests_full_text_rows(base_url: str, plain_observation: dict[str, str]) -> None:
    del base_url  # the session's server holds its keys; this database receives the same
    result = CliRunner().invoke(app, ["keys", "protect"], env=plain_observation)
    assert result.exit_code == 0, result.output
    assert "1 other resources' full-text rows rebuilt" in result.output
    installed = protection.current()
    assert installed is not None
    with psycopg.connect(libpq(plain_observation["NUTRIVISION_DATABASE_URL"])) as conn:
        rows: dict[str, list[int]] = dict(
            conn.execute("SELECT param, words FROM search_text").fetchall()
        )
    assert set(rows) == {"_text", "_content"}
    assert sorted(rows["_text"]) == sorted(installed.blind.word_digests("_text", WORDS))
    assert set(installed.blind.word_digests("_content", WORDS)) <= set(rows["_content"])
    assert not set(PLAIN_WORDS.word_digests("_text", WORDS)) & set(rows["_text"])
