"""The PostgreSQL adapter of the ``ResourceStore`` port."""
