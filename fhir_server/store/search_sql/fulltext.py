"""``_text`` and ``_content``: word digests in ``search_text`` (``resources.search.fulltext``).

A value's words are digested as the write path digests them (``text_digests``) and the row of
the parameter must hold them all (``words @> '{...}'``, answered by the GIN index); the OR of
comma-separated values is one EXISTS with an OR inside.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Exists, cast, literal, or_
from sqlalchemy.dialects.postgresql import ARRAY

from fhir_server.db.text_tables import search_text
from fhir_server.store.search_sql.common import Scope, rows_exist
from resources.search.index_rows import text_digests
from resources.search.query import TextMatch

_DIGESTS = ARRAY(BigInteger)


def _digests(code: str, words: Sequence[str]) -> ColumnElement[Any]:
    return cast(literal(text_digests(code, words), _DIGESTS), _DIGESTS)


def text_exists(matches: Sequence[TextMatch], scope: Scope) -> Exists:
    """EXISTS the row of the matches' parameter holding every word of any one of them.

    One-word values together are one overlap (``&&``), so an OR of words is one GIN scan
    rather than an OR the planner may answer by probing resource after resource.
    """
    table = scope.alias(search_text)
    code = matches[0].param.code
    singles = [m.words[0] for m in matches if len(m.words) == 1]
    tests = [table.c.words.contains(_digests(code, m.words)) for m in matches if len(m.words) > 1]
    if singles:
        tests.append(table.c.words.overlap(_digests(code, singles)))
    return rows_exist(table, code, scope, or_(*tests))


def text_present(code: str, scope: Scope) -> Exists:
    """EXISTS a row of ``code`` (``:missing``): a resource without words has none."""
    return rows_exist(scope.alias(search_text), code, scope)
