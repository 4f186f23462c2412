"""Migration 0002 builds the search index of the resources a 0001 database already holds, and
its downgrade keeps their identifier tokens in 0001's provisional table."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from fhir_server.db.engine import sync_url
from fhir_server.db.migrate import MIGRATIONS
from fhir_server.embedded import ServiceUrls
from tests.protection_state import protection_as
from tests.servers import fresh_database

pytestmark = pytest.mark.integration

PATIENT = (
    b'{"resourceType":"Patient","id":"old","meta":{"versionId":"1",'
    b'"lastUpdated":"2020-01-01T00:00:00Z"},"identifier":[{"system":"urn:mrn","value":"7"}],'
    b'"name":[{"family":"Older"}],"birthDate":"1950-05-06"}'
)


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return config


def test_upgrade_indexes_existing_resources_and_downgrade_keeps_identifiers(
    services: ServiceUrls,
) -> None:
    # ends migrated down, before the tables of the keys that open its bodies
    with fresh_database(services.database_url, check_stored=False) as url:
        config = _config(url)
        command.upgrade(config, "0001")
        engine = create_engine(sync_url(url))
        try:
            with engine.begin() as conn:
                conn.execute(
                    text("INSERT INTO resource VALUES ('Patient', 'old', 1, '2020-01-01Z', false)")
                )
                conn.execute(
                    text(
                        "INSERT INTO resource_version (resource_type, id, version_id,"
                        " last_updated, method, deleted, body)"
                        " VALUES ('Patient', 'old', 1, '2020-01-01Z', 'POST', false, :body)"
                    ),
                    {"body": PATIENT},
                )
            # As `nutrivision db upgrade` runs it: without the PHI keys of a serving process
            # (those would store the PHI values below as blind indexes).
            with protection_as("none"):  # as `nutrivision db upgrade` runs it
                command.upgrade(config, "head")
            with engine.connect() as conn:
                strings = conn.execute(text("SELECT param, normalised FROM search_string")).all()
                tokens = conn.execute(text("SELECT param, system, code FROM search_token")).all()
                dates = conn.execute(text("SELECT param FROM search_date")).all()
            assert ("family", "older") in strings
            assert ("identifier", "urn:mrn", "7") in tokens
            assert ("birthdate",) in dates
            command.downgrade(config, "0001")
            with engine.connect() as conn:
                kept = conn.execute(text("SELECT param, system, code FROM search_token")).all()
            assert kept == [("identifier", "urn:mrn", "7")]
        finally:
            engine.dispose()


def test_fulltext_migration_queues_a_reindex_of_the_stored_types(services: ServiceUrls) -> None:
    """Resources stored before the full-text index get its rows from a queued reindex (their
    sealed bodies cannot be read by a migration); an empty database queues nothing."""
    with fresh_database(services.database_url) as url:
        config = _config(url)
        command.upgrade(config, "0012")
        engine = create_engine(sync_url(url))
        try:
            with engine.begin() as conn:
                for kind, id_ in (("Patient", "a"), ("Observation", "b"), ("Patient", "c")):
                    conn.execute(
                        text("INSERT INTO resource VALUES (:t, :i, 1, '2020-01-01Z', false)"),
                        {"t": kind, "i": id_},
                    )
                conn.execute(
                    text("INSERT INTO resource VALUES ('Basic', 'gone', 2, '2020-01-01Z', true)")
                )
            command.upgrade(config, "0014")
            with engine.connect() as conn:
                jobs = conn.execute(text("SELECT kind, status, params FROM job")).all()
        finally:
            engine.dispose()
    assert len(jobs) == 1
    kind, status, params = jobs[0]
    assert (kind, status) == ("search-reindex", "queued")
    assert params["types"] == ["Observation", "Patient"]
    assert set(params["urls"]) == {
        "http://hl7.org/fhir/SearchParameter/DomainResource-text",
        "http://hl7.org/fhir/SearchParameter/Resource-content",
    }
    with fresh_database(services.database_url) as url:
        command.upgrade(_config(url), "0014")
        engine = create_engine(sync_url(url))
        try:
            with engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM job")).scalar_one() == 0
        finally:
            engine.dispose()
