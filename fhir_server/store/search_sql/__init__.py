"""Search expressions (``resources.search.query``) compiled to SQL: one module per parameter
type, ``special`` for ``_id``/``_lastUpdated``/``:missing``, ``chain`` for chains, ``_has`` and
compartments, and ``compile`` dispatching on the node type."""
