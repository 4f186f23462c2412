"""``nutrivision keys ...``: the state of the keys, rotation, and protecting older data."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer
from sqlalchemy import Engine, create_engine, func, select

from fhir_server.crypto.keystore import load_protection
from fhir_server.crypto.reindex import reindex_persons, reindex_text
from fhir_server.crypto.rotation import Sweep, reencrypt, rotate
from fhir_server.crypto.runtime import load_sync, master_source
from fhir_server.db.engine import sync_url
from fhir_server.db.phi_tables import phi_key
from fhir_server.db.schema import resource_version
from fhir_server.settings import Settings, SettingsError, load_settings
from resources.crypto.envelope import CryptoError, MasterKey
from resources.crypto.protection import Protection

keys_app = typer.Typer(
    help="PHI protection keys: status, rotation, re-encryption", no_args_is_help=True
)


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


@contextlib.contextmanager
def _opened(*, install: bool = False) -> Iterator[tuple[Engine, Protection, MasterKey]]:
    """The database (embedded or external) and its keys, loaded as a server loads them;
    ``install`` makes them this process's keys (to rebuild blind indexes)."""
    from fhir_server.cli import services

    settings = _settings()
    with services(settings) as urls:
        engine = create_engine(sync_url(urls.database_url))
        try:
            with engine.begin() as conn:
                if install:
                    protection, master = load_sync(conn, settings)
                else:
                    protection, master = load_protection(conn, master_source(settings))
            yield engine, protection, master
        except CryptoError as error:
            typer.echo(f"PHI keys: {error}", err=True)
            raise typer.Exit(2) from None
        finally:
            engine.dispose()


def prepare_keys(settings: Settings, database_url: str) -> None:
    """Load the keys once before serving (creating them on the first start): a missing or
    wrong master key stops ``serve`` here with one clear line, before any worker starts."""
    if not settings.phi_protection:
        return
    engine = create_engine(sync_url(database_url))
    try:
        with engine.begin() as conn:
            load_sync(conn, settings)
    except CryptoError as error:
        typer.echo(f"PHI keys: {error}", err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()


def _show(sweep: Sweep) -> None:
    typer.echo(f"re-encrypted {sweep.done}, {sweep.remaining} left (pass {sweep.passes})")


@keys_app.command("status")
def status() -> None:
    """The keys, their states, and how many stored versions each data key seals."""
    with _opened() as (engine, _, master), engine.connect() as conn:
        keys = conn.execute(select(phi_key).order_by(phi_key.c.created)).all()
        v = resource_version.c
        counts: dict[str | None, int] = dict(
            conn.execute(
                select(v.body_key, func.count()).where(v.body.is_not(None)).group_by(v.body_key)
            ).all()
        )
    typer.echo(f"master key {master.fingerprint}")
    for key in keys:
        used = f", {counts.get(key.key_id, 0)} versions" if key.purpose == "data" else ""
        typer.echo(f"{key.purpose:5} {key.key_id} {key.state}{used}")
    if counts.get(None):
        typer.echo(f"plain text (before encryption): {counts[None]} versions")


@keys_app.command("rotate")
def rotate_command(
    grace: float = typer.Option(
        5.0, min=0, help="Seconds for every server to see a key change (> key_refresh_seconds)"
    ),
    batch: int = typer.Option(500, min=1, help="Versions per re-encryption transaction"),
) -> None:
    """Create a new data key, make it active, re-encrypt every body, retire the old key."""
    with _opened() as (engine, protection, master):
        key_id = rotate(engine, protection, master, grace=grace, size=batch, progress=_show)
    typer.echo(f"active data key {key_id.hex()}; no version is sealed under an older key")


@keys_app.command("protect")
def protect(batch: int = typer.Option(500, min=1, help="Rows per transaction")) -> None:
    """Encrypt bodies stored before encryption and rebuild the PHI index as blind indexes."""
    with _opened(install=True) as (engine, protection, _):
        sealed = reencrypt(engine, protection, batch, _show)
        reindexed = reindex_persons(engine, batch, lambda n: typer.echo(f"reindexed {n}"))
        texts = reindex_text(engine, batch, lambda n: typer.echo(f"full text reindexed {n}"))
    typer.echo(f"{sealed} versions sealed, {reindexed} person resources reindexed")
    typer.echo(f"{texts} other resources' full-text rows rebuilt")
