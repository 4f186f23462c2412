"""The index state of each custom SearchParameter: what its index rows were built from."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Table, Text

from fhir_server.db.schema import metadata

search_param_index = Table(
    "search_param_index",
    metadata,
    Column("url", Text, primary_key=True),
    Column("signature", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("job_id", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
"""One row per custom parameter URL that a ``$reindex`` job covered: ``status`` is running,
ready or failed, ``signature`` the definition (type, bases, expression, components) the rows
were extracted with. The parameter is ready when its status is ready and its signature is
that of its current definition: a new version with another expression needs a new reindex."""
