"""Authorization server: OAuth clients, user accounts, refresh tokens.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INSTANT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "oauth_client",
        sa.Column("client_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("client_type", sa.Text, nullable=False),
        sa.Column("secret_hash", sa.Text, nullable=True),
        sa.Column("jwks", JSONB, nullable=True),
        sa.Column("jwks_uri", sa.Text, nullable=True),
        sa.Column("redirect_uris", sa.ARRAY(sa.Text), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.Text), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
    )
    op.create_table(
        "auth_user",
        sa.Column("user_id", sa.Text, primary_key=True),
        sa.Column("username", sa.Text, nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("fhir_user", sa.Text, nullable=False),
        sa.Column("locked", sa.Boolean, nullable=False),
        sa.Column("totp_secret", sa.Text, nullable=True),
        sa.Column("recovery_codes", sa.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("created_at", INSTANT, nullable=False),
    )
    op.create_table(
        "oauth_refresh_token",
        sa.Column("token_hash", sa.Text, primary_key=True),
        sa.Column("grant_id", sa.Text, nullable=False),
        sa.Column("client_id", sa.Text, nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.Text), nullable=False),
        sa.Column("subject", sa.Text, nullable=True),
        sa.Column("fhir_user", sa.Text, nullable=True),
        sa.Column("patient", sa.Text, nullable=True),
        sa.Column("encounter", sa.Text, nullable=True),
        sa.Column("expires_at", INSTANT, nullable=False),
        sa.Column("used_at", INSTANT, nullable=True),
        sa.Column("revoked_at", INSTANT, nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
    )
    op.create_index("oauth_refresh_token_grant", "oauth_refresh_token", ["grant_id"])


def downgrade() -> None:
    op.drop_table("oauth_refresh_token")
    op.drop_table("auth_user")
    op.drop_table("oauth_client")
