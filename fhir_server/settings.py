"""Settings from the environment (``NUTRIVISION_*``), validated once at start."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
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
    worker_healthcheck_s: int = Field(
        60,
        ge=5,
        le=3600,
        description="With several workers: seconds a worker may leave the supervisor's "
        "health check unanswered (while it starts, or on a busy machine) before it is replaced",
    )
    search_timeout_s: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="Longest a search statement may run in PostgreSQL (also a conditional "
        "write's, a transaction's): then it is cancelled and answered 503 (too-costly); "
        "0: no limit",
    )
    default_page_size: int = Field(20, ge=1, le=1000)
    max_page_size: int = Field(1000, ge=1, le=10000)
    max_bundle_entries: int = Field(
        10_000, ge=1, le=1_000_000, description="Most entries in a transaction or batch Bundle"
    )
    conditional_delete_multiple: bool = Field(
        False, description="A conditional delete may delete several matches (at most 100)"
    )
    # PHI protection: encryption at rest and blind indexes (docs/phi-protection.md)
    master_key: SecretStr | None = Field(
        None, description="Master key, base64 of 32 bytes (else the master key file)"
    )
    master_key_file: Path | None = Field(
        None, description="Master key file (default: <data_dir>/master.key, made on first start)"
    )
    phi_protection: bool = Field(
        True, description="Off only to measure its cost: bodies and PHI values in plain text"
    )
    key_refresh_seconds: float = Field(
        2.0, gt=0, le=60, description="How often a server looks for rotated data keys"
    )
    backup_dir: Path | None = Field(None, description="Backups (default: <data_dir>/backups)")
    backup_retention_years: int = Field(7, ge=1, le=100, description="Backups kept this long")

    # SMART on FHIR authorization server
    auth_required: bool = Field(
        True, description="FHIR requests need a bearer token (serve --no-auth turns it off)"
    )
    auth_issuer: str | None = Field(
        None, description="Public URL of /fhir used as token issuer; default from the request"
    )
    signing_key_file: Path | None = Field(
        None, description="Private JWK signing the tokens; default <data_dir>/auth/signing-key.jwk"
    )
    access_token_lifetime_s: int = Field(900, ge=60, le=86_400)
    refresh_token_lifetime_s: int = Field(30 * 86_400, ge=3600, le=365 * 86_400)
    online_refresh_lifetime_s: int = Field(8 * 3600, ge=600, le=7 * 86_400)
    smart_style_url: str | None = Field(None, description="smart_style_url given to launched apps")
    login_ip_max_failures: int = Field(
        5, ge=1, le=100_000, description="Failed sign-ins per address in 15 minutes (shared NAT)"
    )
    # HL7 v2: the MLLP listener and the inbox behind it
    mllp_port: int | None = Field(None, ge=0, le=65535, description="MLLP port; unset: off")
    mllp_host: str = Field("127.0.0.1", description="Address the MLLP listener binds")
    mllp_max_bytes: int = Field(1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    mllp_idle_timeout_s: float = Field(60.0, gt=0, le=3600)
    mllp_allowed_senders: list[str] = Field(
        default_factory=list, description="MSH-3/MSH-4 names accepted; empty: any"
    )
    mllp_allowed_ips: list[str] = Field(
        default_factory=list, description="Source addresses or networks; empty: any"
    )
    mllp_tls_cert: Path | None = Field(None, description="PEM certificate: MLLP over TLS")
    mllp_tls_key: Path | None = Field(None, description="PEM key of the certificate")
    mllp_ack: Literal["stored", "processed"] = Field(
        "stored",
        description="Original-mode AA once the message is mapped and stored (written after "
        "by the inbox worker), or once it is written",
    )
    mllp_worker_batch: int = Field(
        20, ge=1, le=500, description="Stored messages the inbox worker writes per transaction"
    )
    # Background jobs and bulk data ($export, $import, $everything)
    jobs_concurrency: int = Field(2, ge=1, le=32, description="Jobs run at once per process")
    jobs_poll_seconds: float = Field(2.0, gt=0, le=60, description="How often to look for jobs")
    jobs_stale_seconds: float = Field(
        30.0, ge=1, le=3600, description="A running job silent this long is resumed elsewhere"
    )
    bulk_export_batch: int = Field(5000, ge=1, le=100_000, description="Rows per export batch")
    bulk_export_parallel: int = Field(2, ge=1, le=16, description="Types exported at once")

    # Bulk import ($import, nutrivision import): NDJSON lines are parsed, validated and most
    # of their index rows computed in this many worker processes forked from the loading one,
    # while it writes the batch before (0: all in the loading process). docs/bulk.md.
    bulk_import_workers: int = Field(
        1, ge=0, le=16, description="Processes preparing NDJSON lines for $import and import"
    )

    # Search: $reindex of custom SearchParameters
    reindex_batch: int = Field(500, ge=1, le=10_000, description="Resources per reindex batch")

    # Terminology: ICD-10-CM codes in Condition.code checked on create, update and patch.
    icd10cm_invalid: Literal["reject", "warn", "off"] = Field(
        "reject", description="A code not in ICD-10-CM (or a chapter or block): reject or warn"
    )
    icd10cm_non_leaf: Literal["reject", "warn", "off"] = Field(
        "warn", description="A category with codes below it (E11): reject or warn"
    )

    # Clinical report ($clinical-report): larger reports are built as a background job.
    report_async_intakes: int = Field(
        5000, ge=0, description="More NutritionIntakes than this: answer 202 and build in a job"
    )

    # Food analysis ($analyze-food): upload size, concurrent analyses, time per request.
    analyze_food_max_upload_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, le=1024**3, description="Largest photo or voice clip"
    )
    analyze_food_concurrency: int = Field(
        2, ge=1, le=64, description="Analyses run at once per process; more wait"
    )
    analyze_food_timeout_s: float = Field(
        20.0, gt=0, le=600, description="Longest analysis before a 503"
    )
    analyze_food_queue_wait_s: float = Field(
        5.0, ge=0, le=600, description="Longest wait for a free analysis slot before a 503"
    )
    analyze_food_preload: bool = Field(
        True, description="Load the photo and voice models at start, else at first use"
    )

    # Implementation guide: profile validation on write, per resource type (off/warn/enforce);
    # a JSON object such as {"Patient": "warn"} replaces the defaults as a whole.
    profile_validation: dict[str, Mode] = Field(
        default_factory=lambda: dict(DEFAULT_MODES),
        description=f"Profile validation on write per resource type: one of {MODES}",
    )

    # Account e-mail and password reset
    smtp_host: str | None = Field(
        None, description="SMTP server for password reset e-mail; unset: no e-mail is sent"
    )
    smtp_port: int = Field(25, ge=1, le=65_535)
    smtp_sender: str = Field("nutrivision@localhost", description="From address of account mail")
    password_reset_lifetime_s: int = Field(
        15 * 60, ge=60, le=86_400, description="How long an e-mailed reset link works (once)"
    )

    # Audit trail and break-glass emergency access
    audit_enabled: bool = Field(True, description="Record AuditEvents for access to health data")
    audit_queue_size: int = Field(10_000, ge=10, le=1_000_000, description="Queued read events")
    audit_flush_interval_s: float = Field(0.5, gt=0, le=60, description="Read-queue flush period")
    emergency_token_lifetime_s: int = Field(900, ge=60, le=3600)

    # Food photos ($analyze-food image input): the registered vision model and its run time
    vision_enabled: bool = Field(True, description="Serve the photo analyser")
    vision_models_dir: Path | None = Field(
        None, description="Model registry folder (default: the models shipped with ml_ops)"
    )
    vision_plate_diameter_cm: float | None = Field(
        None, gt=5, le=60, description="Plate size assumed for portions when a photo names none"
    )
    vision_concurrency: int = Field(2, ge=1, le=32, description="Photos analysed at once")

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(_DB_SCHEMES):
            raise ValueError("must be a PostgreSQL URL such as postgresql://user@host/db")
        return value or None

    @field_validator("auth_issuer", "smart_style_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be an absolute http(s) URL")
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
