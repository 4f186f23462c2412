"""Migration 0013 turns the per-prefix rows of blind string values into rows of prefix keys,
without the index key, and leaves every other token row as it was."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from fhir_server.db.engine import sync_url
from fhir_server.db.migrate import MIGRATIONS
from fhir_server.embedded import ServiceUrls
from resources.crypto.blind import BlindIndex
from resources.crypto.envelope import new_key
from tests.protection_state import protection_as
from tests.servers import fresh_database

pytestmark = pytest.mark.integration

BLIND = BlindIndex(new_key())
Row = dict[str, Any]


def _old_string(owner: str, param: str, domain: str, exact: str) -> list[Row]:
    """The rows the per-prefix layout stored for one value."""
    value = exact.lower()
    rows: list[Row] = [
        {"id": owner, "param": param, "code": BLIND.digest("p", domain, value[:n]), "text": None}
        for n in range(1, len(value) + 1)
    ]
    rows[-1]["text"] = BLIND.exact(domain, exact)
    return rows


OTHERS: list[Row] = [
    {"id": "a", "param": "birthdate", "code": BLIND.date("birthdate", "1970"), "text": None},
    {"id": "a", "param": "identifier", "code": BLIND.token("identifier", "7"), "text": None},
    # a custom token parameter of a person type: its text is normalised display text
    {"id": "a", "param": "pet", "code": BLIND.token("pet", "c"), "text": "cat named rex"},
]


@pytest.fixture
def migrated(services: ServiceUrls) -> Iterator[list[Any]]:
    rows = [
        *_old_string("a", "family", "name", "Rivera"),
        *_old_string("a", "given", "name", "Ana"),
        *_old_string("a", "given", "name", "Beatriz"),
        *_old_string("b", "address-city", "address", "Lyon"),
        *_old_string("b", "maiden-name", "maiden-name", "Okafor"),  # a custom parameter
        *OTHERS,
    ]
    with fresh_database(services.database_url) as url:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
        command.upgrade(config, "0012")
        engine = create_engine(sync_url(url))
        try:
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO search_token (resource_type, resource_id, param, code, text)"
                        " VALUES ('Patient', :id, :param, :code, :text)"
                    ),
                    rows,
                )
                conn.execute(
                    text(
                        "INSERT INTO search_token (resource_type, resource_id, param, code, text)"
                        " VALUES ('Observation', 'o', 'code', 'Abcdefghijklmnopqrstuv',"
                        " 'Abcdefghijklmnopqrstuv')"
                    )
                )
            with protection_as("none"):  # as `nutrivision db upgrade` runs it
                command.upgrade(config, "head")
            with engine.connect() as conn:
                found = list(
                    conn.execute(
                        text(
                            "SELECT resource_type, resource_id, param, code, text, prefixes"
                            " FROM search_token ORDER BY 1, 2, 3, 5"
                        )
                    )
                )
                valid = conn.execute(
                    text(
                        "SELECT indisvalid FROM pg_index"
                        " WHERE indexrelid = to_regclass('search_token_prefixes')"
                    )
                ).scalar()
            assert valid is True, "the GIN index is built and valid"
            yield found
        finally:
            engine.dispose()


def test_blind_strings_become_one_row_per_value_of_prefix_keys(migrated: list[Any]) -> None:
    strings = {(r.resource_id, r.param, r.text): r.prefixes for r in migrated if r.prefixes}
    assert strings[("a", "family", BLIND.exact("name", "Rivera"))] == sorted(
        BLIND.prefix_keys("name", "rivera")
    )
    assert strings[("b", "address-city", BLIND.exact("address", "Lyon"))] == sorted(
        BLIND.prefix_keys("address", "lyon")
    )
    assert strings[("b", "maiden-name", BLIND.exact("maiden-name", "Okafor"))] == sorted(
        BLIND.prefix_keys("maiden-name", "okafor")
    )
    given = [r for r in migrated if r.param == "given"]
    assert sorted(r.text for r in given) == sorted(
        [BLIND.exact("name", "Ana"), BLIND.exact("name", "Beatriz")]
    ), "one row per value as written"
    held = {key for r in given for key in r.prefixes}
    assert held == set(BLIND.prefix_keys("name", "ana") + BLIND.prefix_keys("name", "beatriz"))
    assert all(r.code is None for r in migrated if r.prefixes is not None)


def test_other_token_rows_are_left_alone(migrated: list[Any]) -> None:
    kept = [(r.resource_id, r.param, r.code, r.text) for r in migrated if r.prefixes is None]
    expected = [(o["id"], o["param"], o["code"], o["text"]) for o in OTHERS]
    expected.append(("o", "code", "Abcdefghijklmnopqrstuv", "Abcdefghijklmnopqrstuv"))
    assert sorted(kept, key=str) == sorted(expected, key=str)
