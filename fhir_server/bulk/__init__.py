"""Bulk data: the ``$export`` and ``$import`` jobs, their files, and NDJSON loading."""
