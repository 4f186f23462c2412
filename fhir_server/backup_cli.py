"""``nutrivision backup create|list|verify|restore``: encrypted archives of the database."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from fhir_server.crypto import backup
from fhir_server.crypto.runtime import master_source
from fhir_server.db.engine import sync_url
from fhir_server.settings import Settings, SettingsError, load_settings
from resources.crypto.envelope import CryptoError, MasterKey

backup_app = typer.Typer(
    help="Encrypted backups: create, list, verify, restore", no_args_is_help=True
)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


def _folder(settings: Settings) -> Path:
    return settings.backup_dir or Path(settings.data_dir) / "backups"


def _master(settings: Settings) -> MasterKey:
    try:
        master = master_source(settings).load()
    except CryptoError as error:
        typer.echo(f"backup: {error}", err=True)
        raise typer.Exit(2) from None
    if master is None:
        typer.echo("backup: no master key (NUTRIVISION_MASTER_KEY or the key file)", err=True)
        raise typer.Exit(2)
    return master


@contextlib.contextmanager
def _database(settings: Settings) -> Iterator[str]:
    from fhir_server.cli import services

    with services(settings) as urls:
        yield sync_url(urls.database_url).replace("postgresql+psycopg://", "postgresql://", 1)


@contextlib.contextmanager
def _reported() -> Iterator[None]:
    try:
        yield
    except backup.BackupError as error:
        typer.echo(f"backup: {error}", err=True)
        raise typer.Exit(1) from None


@backup_app.command("create")
def create() -> None:
    """Write an archive of the database; remove archives past the retention period."""
    settings = _settings()
    master = _master(settings)
    with _database(settings) as url:
        path = backup.create(url, master, _folder(settings))
    typer.echo(f"written {path}")
    for old in sorted(_folder(settings).glob(f"*{backup.SUFFIX}")):
        if backup.expired(backup.read_header(old), settings.backup_retention_years):
            old.unlink()
            typer.echo(f"removed {old.name} (older than {settings.backup_retention_years} years)")


@backup_app.command("list")
def list_archives() -> None:
    """The archives in the backup folder: date, rows of resources and versions, size."""
    settings = _settings()
    for path in sorted(_folder(settings).glob(f"*{backup.SUFFIX}")):
        header = backup.read_header(path)
        tables = header["tables"]
        rows = {t: tables.get(t, {}).get("rows", 0) for t in ("resource", "resource_version")}
        typer.echo(
            f"{path.name}  {header['created']}  {rows['resource']} resources,"
            f" {rows['resource_version']} versions, {path.stat().st_size} bytes"
        )


@backup_app.command("verify")
def verify(path: Annotated[Path, typer.Argument(help="Archive to check")]) -> None:
    """Open an archive with the master key and check its checksum and contents."""
    settings = _settings()
    with _reported():
        archive = backup.open_archive(path, _master(settings))
    total = sum(int(t["rows"]) for t in archive.header["tables"].values())
    typer.echo(f"{path.name}: verified, {len(archive.tables)} tables, {total} rows")


@backup_app.command("restore")
def restore(path: Annotated[Path, typer.Argument(help="Archive to restore")]) -> None:
    """Restore an archive into an empty database (migrated, never served), then check it."""
    settings = _settings()
    with _reported():
        archive = backup.open_archive(path, _master(settings))
        with _database(settings) as url:
            counts = backup.restore(url, archive)
    typer.echo(f"restored and verified {sum(counts.values())} rows in {len(counts)} tables")
