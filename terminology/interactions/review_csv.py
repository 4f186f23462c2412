"""The pharmacist review workflow: rule tables out to CSV and back in, with validation.

``export_rules_csv`` writes one row per rule. List cells hold one item per line for citations
and ``;``-separated ids for food groups, ingredients and classes. ``import_rules_csv`` reads
such a file back, validates every cell and every reference against the drug and food tables,
and raises ``RuleCsvError`` naming the row (spreadsheet numbering: the header is row 1) and
column of each problem. ``save_rules_json`` writes an accepted table in the shipped format.
The ``nutrivision kb export|import`` commands wrap these functions.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from terminology.interactions.knowledge import KnowledgeBase, knowledge_base
from terminology.interactions.models import InteractionRule

LIST_COLUMNS = ("food_groups", "drug_ingredients", "drug_classes")
TEXT_COLUMNS = ("title", "severity", "effect", "mechanism", "management", "timing", "amount")
COLUMNS = (
    "id",
    *TEXT_COLUMNS[:2],
    *LIST_COLUMNS,
    *TEXT_COLUMNS[2:],
    "evidence",
    "evidence_note",
    "citations",
    "review_status",
    "reviewer",
    "review_date",
)
_REVIEW_COLUMN = {"status": "review_status", "reviewer": "reviewer", "review_date": "review_date"}


@dataclass(frozen=True)
class CsvProblem:
    """One invalid cell: spreadsheet row number, column name and what is wrong."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


class RuleCsvError(ValueError):
    """A rule CSV that cannot be imported; ``problems`` lists every bad cell."""

    def __init__(self, problems: Sequence[CsvProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


def export_rules_csv(path: Path | str, rules: Iterable[InteractionRule] | None = None) -> int:
    """Write the rule table (the shipped rules by default) to ``path``; returns the row count."""
    rows = [_row(rule) for rule in (knowledge_base().rules if rules is None else rules)]
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def import_rules_csv(path: Path | str, kb: KnowledgeBase | None = None) -> list[InteractionRule]:
    """Read and validate a rule CSV; raises ``RuleCsvError`` listing every problem."""
    kb = kb or knowledge_base()
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header_problems = _header_problems(reader.fieldnames or [])
        if header_problems:
            raise RuleCsvError(header_problems)
        records = list(reader)
    rules: list[InteractionRule] = []
    problems: list[CsvProblem] = []
    seen: dict[str, int] = {}
    for number, record in enumerate(records, start=2):
        rule, row_problems = _parse_row(number, record, kb)
        if rule is not None and rule.id in seen:
            row_problems.append(CsvProblem(number, "id", f"duplicate of row {seen[rule.id]}"))
        problems.extend(row_problems)
        if rule is not None and not row_problems:
            seen[rule.id] = number
            rules.append(rule)
    if problems:
        raise RuleCsvError(problems)
    return rules


def save_rules_json(rules: Sequence[InteractionRule], path: Path | str, version: str) -> None:
    """Write ``rules`` in the format of the shipped ``rules.json``."""
    document = {"version": version, "rules": [rule.model_dump(mode="json") for rule in rules]}
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    Path(path).write_text(text, encoding="utf-8")


def _row(rule: InteractionRule) -> dict[str, str]:
    data = rule.model_dump(mode="json")
    row = {column: str(data.get(column) or "") for column in (*TEXT_COLUMNS, "id", "evidence")}
    row.update({column: "; ".join(data[column]) for column in LIST_COLUMNS})
    row["evidence_note"] = rule.evidence_note
    row["citations"] = "\n".join(rule.citations)
    row["review_status"] = rule.review.status
    row["reviewer"] = rule.review.reviewer
    row["review_date"] = rule.review.review_date.isoformat() if rule.review.review_date else ""
    return row


def _header_problems(fieldnames: Sequence[str]) -> list[CsvProblem]:
    problems = [CsvProblem(1, c, "missing column") for c in COLUMNS if c not in fieldnames]
    problems += [CsvProblem(1, c, "unknown column") for c in fieldnames if c not in COLUMNS]
    return problems


def _parse_row(
    number: int, record: dict[str, str | None], kb: KnowledgeBase
) -> tuple[InteractionRule | None, list[CsvProblem]]:
    if None in record:  # csv puts surplus cells under the key None
        return None, [CsvProblem(number, "", "more cells than columns")]
    cells = {key: (value or "").strip() for key, value in record.items() if key is not None}
    try:
        rule = InteractionRule.model_validate(_rule_data(cells))
    except ValidationError as error:
        return None, [
            CsvProblem(number, _column(d["loc"], d["msg"]), d["msg"]) for d in error.errors()
        ]
    return rule, [CsvProblem(number, field, message) for field, message in kb.rule_problems(rule)]


def _rule_data(cells: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {column: cells[column] for column in (*TEXT_COLUMNS, "id", "evidence")}
    data.update(
        {c: [item.strip() for item in cells[c].split(";") if item.strip()] for c in LIST_COLUMNS}
    )
    data["evidence_note"] = cells["evidence_note"]
    data["citations"] = [line.strip() for line in cells["citations"].splitlines() if line.strip()]
    data["review"] = {
        "status": cells["review_status"],
        "reviewer": cells["reviewer"],
        "review_date": cells["review_date"] or None,
    }
    return data


def _column(loc: tuple[int | str, ...], message: str) -> str:
    """The CSV column a pydantic error location (or a model-level message) points at."""
    if loc and loc[0] == "review":
        return _REVIEW_COLUMN.get(str(loc[1]), "reviewer") if len(loc) > 1 else "reviewer"
    if loc:
        return str(loc[0])
    return "citations" if "citation" in message else "drug_ingredients"
