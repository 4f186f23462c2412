"""PostgreSQL: schema, engine and migrations."""
