"""``nutrivision kb export|import``: the pharmacist review round trip on the command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from fhir_server.cli import app
from terminology.kb import knowledge_base


def test_export_then_import_round_trips_every_rule(tmp_path: Path) -> None:
    exported, saved = tmp_path / "rules.csv", tmp_path / "rules.json"
    runner = CliRunner()
    result = runner.invoke(app, ["kb", "export", str(exported)])
    assert result.exit_code == 0, result.output
    count = len(knowledge_base().rules)
    assert f"{count} rules written" in result.output
    result = runner.invoke(app, ["kb", "import", str(exported), "--out", str(saved)])
    assert result.exit_code == 0, result.output
    written = json.loads(saved.read_text("utf-8"))
    assert [rule["id"] for rule in written["rules"]] == [r.id for r in knowledge_base().rules]


def test_import_names_the_bad_cell(tmp_path: Path) -> None:
    exported = tmp_path / "rules.csv"
    CliRunner().invoke(app, ["kb", "export", str(exported)])
    with exported.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    fields = list(rows[0])
    rows[0]["severity"] = "catastrophic"
    with exported.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    result = CliRunner().invoke(app, ["kb", "import", str(exported)])
    assert result.exit_code == 1
    assert "severity" in result.output
