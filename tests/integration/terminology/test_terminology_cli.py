"""``nutrivision terminology``: lookup, convert, and load into a database."""

from __future__ import annotations

import psycopg
import pytest
from typer.testing import CliRunner

from fhir_server.cli import app
from fhir_server.db.engine import sync_url
from fhir_server.embedded import ServiceUrls
from tests.servers import fresh_database

pytestmark = pytest.mark.integration


def test_lookup_shows_display_and_hierarchy() -> None:
    result = CliRunner().invoke(app, ["terminology", "lookup", "icd10cm", "E11"])
    assert result.exit_code == 0, result.output
    assert "Type 2 diabetes mellitus" in result.output
    assert "E08-E13" in result.output
    assert "E11.9" in result.output
    missing = CliRunner().invoke(app, ["terminology", "lookup", "icd10cm", "E11.999"])
    assert missing.exit_code == 1


def test_convert_units_and_glucose() -> None:
    runner = CliRunner()
    energy = runner.invoke(app, ["terminology", "convert", "100", "kcal", "kJ"])
    assert energy.output.strip() == "418.4 kJ"
    glucose = runner.invoke(
        app, ["terminology", "convert", "180.156", "mg/dL", "mmol/L", "--analyte", "glucose"]
    )
    assert glucose.output.strip() == "10 mmol/L"
    bad = runner.invoke(app, ["terminology", "convert", "1", "mg", "mL"])
    assert bad.exit_code == 1


def test_load_stores_the_shipped_resources_once(services: ServiceUrls) -> None:
    runner = CliRunner()
    with fresh_database(services.database_url) as url:
        env = {"NUTRIVISION_DATABASE_URL": url, "NUTRIVISION_REDIS_URL": services.redis_url}
        command = ["terminology", "load", "--type", "ConceptMap"]  # 19; all 1187 take minutes
        first = runner.invoke(app, command, env=env)
        assert first.exit_code == 0, first.output
        assert "19 terminology resources stored, 0 already there" in first.output
        again = runner.invoke(app, command, env=env)
        assert "0 terminology resources stored, 19 already there" in again.output
        with psycopg.connect(
            sync_url(url).replace("postgresql+psycopg://", "postgresql://")
        ) as conn:
            row = conn.execute(
                "SELECT count(*) FROM resource WHERE resource_type = 'ConceptMap'"
            ).fetchone()
        assert row is not None
        assert row[0] == 19
