"""``nutrivision audit verify``: check the audit trail's hash chain from its first link."""

from __future__ import annotations

import asyncio

import typer

from fhir_server.audit.chain import Verdict, verify_chain
from fhir_server.db.engine import create_engine
from fhir_server.settings import SettingsError, load_settings

audit_app = typer.Typer(help="The audit trail", no_args_is_help=True)


async def _verify(database_url: str) -> Verdict:
    engine = create_engine(database_url, 1)
    try:
        async with engine.connect() as conn:
            return await verify_chain(conn)
    finally:
        await engine.dispose()


def report(verdict: Verdict) -> str:
    """The human-readable verdict."""
    if verdict.intact:
        return (
            f"audit chain intact: {verdict.checked} events verified, "
            f"{verdict.unsealed} not yet sealed"
        )
    return (
        f"audit chain BROKEN at sequence {verdict.broken_seq} (AuditEvent/{verdict.broken_id}): "
        f"{verdict.reason}; {verdict.checked} events before it verified"
    )


@audit_app.command("verify")
def verify() -> None:
    """Recompute every link of the chain; exit 1 and name the first broken link if any."""
    from fhir_server.cli import services  # the CLI's embedded-or-external servers

    try:
        settings = load_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    with services(settings) as urls:
        verdict = asyncio.run(_verify(urls.database_url))
    typer.echo(report(verdict))
    if not verdict.intact:
        raise typer.Exit(1)
