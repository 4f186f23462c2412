"""``_text`` and ``_content``: word digests in ``search_text`` (``resources.search.fulltext``).

A value's words are digested as the write path digests them (``text_digests``) and the row of
the parameter must hold them all (``words @> '{...}'``, answered by the GIN index); the OR of
comma-separated values is one EXISTS with an OR inside.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import BigInteger, ColumnElement, Exists, FromClause, cast, literal, or_
from sqlalchemy.dialects.postgresql import ARRAY

from fhir_server.db.text_tables import search_text
from fhir_server.store.search_sql.common import Scope, rows_exist
from resources.search.index_rows import text_digests
from resources.search.query import TextMatch

_DIGESTS = ARRAY(BigInteger)


def _all_words(table: FromClause, match: TextMatch) -> ColumnElement[bool]:
    digests = text_digests(match.param.code, match.words)
    return table.c.words.contains(cast(literal(digests, _DIGESTS), _DIGESTS))


def text_exists(matches: Sequence[TextMatch], scope: Scope) -> Exists:
    """EXISTS the row of the matches' parameter holding every word of any one of them."""
    table = search_text.alias()
    return rows_exist(
        table, matches[0].param.code, scope, or_(*(_all_words(table, m) for m in matches))
    )


def text_present(code: str, scope: Scope) -> Exists:
    """EXISTS a row of ``code`` (``:missing``): a resource without words has none."""
    return rows_exist(search_text.alias(), code, scope)
