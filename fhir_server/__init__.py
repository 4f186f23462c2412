"""The composition root: HTTP (FastAPI), PostgreSQL (SQLAlchemy), embedded services, CLI."""
