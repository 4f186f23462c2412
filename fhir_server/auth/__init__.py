"""The SMART authorization server's adapters: clients and users in PostgreSQL, short-lived
state in Redis, the signing key on disk."""
