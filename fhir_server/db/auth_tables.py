"""Tables of the authorization server: OAuth clients, user accounts, refresh tokens.

Short-lived state (authorization codes, launch contexts, login transactions, the ``jti``
replay cache, revoked grants) lives in Redis with its expiry; see ``fhir_server.auth``.
"""

from __future__ import annotations

from sqlalchemy import ARRAY, Boolean, Column, DateTime, Index, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

auth_metadata = MetaData()
INSTANT = DateTime(timezone=True)

oauth_client = Table(
    "oauth_client",
    auth_metadata,
    Column("client_id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("client_type", Text, nullable=False),
    Column("secret_hash", Text, nullable=True),
    Column("jwks", JSONB, nullable=True),
    Column("jwks_uri", Text, nullable=True),
    Column("redirect_uris", ARRAY(Text), nullable=False),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("created_at", INSTANT, nullable=False),
)
"""Registered clients: ``public``, ``confidential-symmetric`` (SHA-256 of the secret) or
``confidential-asymmetric`` (JWKS by value, or ``jwks_uri`` naming a local file)."""

auth_user = Table(
    "auth_user",
    auth_metadata,
    Column("user_id", Text, primary_key=True),
    Column("username", Text, nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("fhir_user", Text, nullable=False),
    Column("locked", Boolean, nullable=False),
    Column("totp_secret", Text, nullable=True),
    Column("recovery_codes", ARRAY(Text), nullable=False, server_default="{}"),
    Column("created_at", INSTANT, nullable=False),
)
"""Accounts that sign in at the authorization endpoint (bcrypt password hashes)."""

oauth_refresh_token = Table(
    "oauth_refresh_token",
    auth_metadata,
    Column("token_hash", Text, primary_key=True),
    Column("grant_id", Text, nullable=False),
    Column("client_id", Text, nullable=False),
    Column("scopes", ARRAY(Text), nullable=False),
    Column("subject", Text, nullable=True),
    Column("fhir_user", Text, nullable=True),
    Column("patient", Text, nullable=True),
    Column("encounter", Text, nullable=True),
    Column("expires_at", INSTANT, nullable=False),
    Column("used_at", INSTANT, nullable=True),
    Column("revoked_at", INSTANT, nullable=True),
    Column("created_at", INSTANT, nullable=False),
    Index("oauth_refresh_token_grant", "grant_id"),
)
"""Refresh tokens (SHA-256 of the value): single use; all of one ``grant_id`` form a family."""
