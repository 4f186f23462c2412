"""Settings from the environment (``NUTRIVISION_*``), validated once at start."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from profiles_ig.write_policy import DEFAULT_MODES, MODES, Mode

_DB_SCHEMES = ("postgresql://", "postgresql+psycopg://", "postgres://")
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


class Settings(BaseSettings):
    """Server configuration; unset URLs mean the embedded PostgreSQL and Redis."""

    model_config = SettingsConfigDict(env_prefix="NUTRIVISION_", extra="ignore")

    database_url: str | None = Field(None, description="External PostgreSQL URL")
    redis_url: str | None = Field(None, description="External Redis URL")
    data_dir: Path = Field(Path(".nutrivision"), description="Embedded servers' data")
    base_url: str | None = Field(None, description="Public base URL of /fhir, if proxied")
    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024, le=1024**3)
    db_pool_size: int = Field(20, ge=1, le=500)
    default_page_size: int = Field(20, ge=1, le=1000)
    max_page_size: int = Field(1000, ge=1, le=10000)
    max_bundle_entries: int = Field(
        10_000, ge=1, le=1_000_000, description="Most entries in a transaction or batch Bundle"
    )
    conditional_delete_multiple: bool = Field(
        False, description="A conditional delete may delete several matches (at most 100)"
    )

    # Implementation guide: profile validation on write, per resource type (off/warn/enforce);
    # a JSON object such as {"Patient": "warn"} replaces the defaults as a whole.
    profile_validation: dict[str, Mode] = Field(
        default_factory=lambda: dict(DEFAULT_MODES),
        description=f"Profile validation on write per resource type: one of {MODES}",
    )

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(_DB_SCHEMES):
            raise ValueError("must be a PostgreSQL URL such as postgresql://user@host/db")
        return value or None

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(_REDIS_SCHEMES):
            raise ValueError("must be a Redis URL such as redis://host:6379/0")
        return value or None


class SettingsError(Exception):
    """Bad configuration, one line per bad value."""


def load_settings() -> Settings:
    """Read and validate settings, turning pydantic's report into one clear line per value."""
    try:
        return Settings()
    except ValidationError as error:
        lines = [
            f"NUTRIVISION_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in error.errors(include_url=False)
        ]
        raise SettingsError("Invalid configuration:\n  " + "\n  ".join(lines)) from None
