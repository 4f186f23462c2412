"""``EXPLAIN (FORMAT JSON)`` of a Core statement, its bound parameters kept."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ClauseElement, Executable, Select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler


class Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON[, ANALYZE]) statement``; the result is one JSON plan."""

    inherit_cache = False

    def __init__(self, statement: Select[Any], *, analyze: bool = False) -> None:
        self.statement = statement
        self.analyze = analyze


@compiles(Explain, "postgresql")
def _compile_explain(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    options = "FORMAT JSON, ANALYZE" if element.analyze else "FORMAT JSON"
    return f"EXPLAIN ({options}) " + compiler.process(element.statement, **kw)


def plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every node of a JSON plan (``plan`` is one element of the EXPLAIN result), depth first."""
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes.extend(plan_nodes(child))
    return nodes
