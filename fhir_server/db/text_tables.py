"""The full-text index (``_text``, ``_content``): word digests, never words."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY

from fhir_server.db.schema import metadata

search_text = Table(
    "search_text",
    metadata,
    Column("resource_type", Text, nullable=False),
    Column("resource_id", Text, nullable=False),
    Column("param", Text, nullable=False),
    Column("words", ARRAY(BigInteger), nullable=False),
)
"""One row per current version and parameter that has words: the distinct 64-bit keyed
digests of its normalised words (``resources.search.index_rows.text_digests``), searched
with ``@>`` (every word) under a GIN index."""
