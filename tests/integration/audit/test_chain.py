"""Tamper evidence: ``nutrivision audit verify`` finds an edited event; the table refuses
changes and deletions."""

from __future__ import annotations

import httpx
import psycopg
import pytest
from typer.testing import CliRunner

from fhir_server.cli import app
from fhir_server.embedded import ServiceUrls
from fhir_server.settings import Settings
from tests.auth_fixtures import TokenMinter
from tests.integration.audit.helpers import bearer, connect, verdict, wait_sealed, write

pytestmark = pytest.mark.integration


def _verify(services: ServiceUrls, auth_settings: Settings) -> tuple[int, str]:
    env = {
        "NUTRIVISION_DATABASE_URL": services.database_url,
        "NUTRIVISION_REDIS_URL": services.redis_url,
        "NUTRIVISION_DATA_DIR": str(auth_settings.data_dir),
    }
    result = CliRunner().invoke(app, ["audit", "verify"], env=env)
    return result.exit_code, result.output


def _some_events(auth_base_url: str, mint_token: TokenMinter) -> None:
    patient = write(auth_base_url, mint_token, {"resourceType": "Patient", "active": True})
    httpx.get(f"{auth_base_url}/Patient/{patient}", headers=bearer(mint_token("system/*.rs")))


def test_verify_detects_an_edited_event(
    auth_base_url: str, mint_token: TokenMinter, services: ServiceUrls, auth_settings: Settings
) -> None:
    _some_events(auth_base_url, mint_token)
    wait_sealed(services.database_url)
    code, output = _verify(services, auth_settings)
    assert code == 0, output
    assert "intact" in output
    with connect(services.database_url) as conn:
        first = conn.execute(
            "SELECT seq, id, event FROM audit_event WHERE seq IS NOT NULL ORDER BY seq LIMIT 1"
        ).fetchone()
        assert first is not None
        seq, event_id, original = first[0], first[1], dict(first[2])
        conn.execute("SET session_replication_role = replica")  # an owner bypassing the trigger
        tampered = psycopg.types.json.Jsonb(
            {**original, "action": "D" if original["action"] != "D" else "R"}
        )
        conn.execute("UPDATE audit_event SET event = %s WHERE id = %s", (tampered, event_id))
        try:
            code, output = _verify(services, auth_settings)
            broken = verdict(services.database_url)
        finally:
            restored = psycopg.types.json.Jsonb(original)
            conn.execute("UPDATE audit_event SET event = %s WHERE id = %s", (restored, event_id))
    assert code == 1
    assert f"BROKEN at sequence {seq}" in output
    assert broken.broken_id == event_id
    assert "edited" in (broken.reason or "")
    assert verdict(services.database_url).intact


def test_verify_detects_a_removed_event(
    auth_base_url: str, mint_token: TokenMinter, services: ServiceUrls
) -> None:
    _some_events(auth_base_url, mint_token)
    wait_sealed(services.database_url)
    with connect(services.database_url) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "CREATE TEMP TABLE saved AS SELECT * FROM audit_event "
            "WHERE seq = (SELECT min(seq) FROM audit_event)"
        )
        conn.execute("DELETE FROM audit_event WHERE id IN (SELECT id FROM saved)")
        try:
            broken = verdict(services.database_url)
        finally:
            conn.execute("INSERT INTO audit_event SELECT * FROM saved")
    assert broken.broken_seq is not None
    assert "missing" in (broken.reason or "")
    assert verdict(services.database_url).intact


def test_the_table_refuses_updates_and_deletes(
    auth_base_url: str, mint_token: TokenMinter, services: ServiceUrls
) -> None:
    _some_events(auth_base_url, mint_token)
    wait_sealed(services.database_url)
    with connect(services.database_url) as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="never changed"):
            conn.execute("UPDATE audit_event SET outcome = '8' WHERE seq = 1")
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("DELETE FROM audit_event WHERE seq = 1")
