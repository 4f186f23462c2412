"""``nutrivision user create|list|lock|unlock|totp`` and ``nutrivision launch``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import pyotp
import redis.asyncio as aioredis
import typer
from sqlalchemy.ext.asyncio import AsyncConnection

from fhir_server.auth import launches
from fhir_server.auth.users import ROLES, create_user, list_users, set_locked, set_totp_secret
from fhir_server.auth_cli import run_db, settings_or_exit
from smart_auth.credentials import digest, hash_password, password_problems, recovery_codes

user_app = typer.Typer(help="User accounts (patients and practitioners)", no_args_is_help=True)
launch_app = typer.Typer(help="Mint an EHR launch value", invoke_without_command=True)
TOTP_ISSUER = "Nutri-Vision"


def _check_fhir_user(role: str, fhir_user: str) -> None:
    resource_type, sep, resource_id = fhir_user.partition("/")
    if role not in ROLES:
        raise typer.BadParameter(f"--role must be one of {', '.join(ROLES)}")
    if not sep or not resource_id or resource_type != ROLES[role]:
        raise typer.BadParameter(f"--fhir-user must be {ROLES[role]}/<id> for a {role}")


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument(help="User name")],
    role: Annotated[str, typer.Option(help="patient | practitioner")],
    fhir_user: Annotated[str, typer.Option(help="Patient/<id> or Practitioner/<id>")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create an account linked to its FHIR Patient or Practitioner."""
    _check_fhir_user(role, fhir_user)
    problems = password_problems(password)
    if problems:
        typer.echo("password too weak: needs " + "; ".join(problems), err=True)
        raise typer.Exit(2)
    hashed = hash_password(password)

    async def create(conn: AsyncConnection) -> str:
        return (await create_user(conn, username, hashed, role, fhir_user)).user_id

    typer.echo(f"user_id: {run_db(settings_or_exit(), create)}")


@user_app.command("list")
def user_list() -> None:
    """List the accounts (never their passwords)."""
    for user in run_db(settings_or_exit(), list_users):
        state = "locked" if user.locked else "active"
        mfa = "totp" if user.totp_secret else "no-mfa"
        typer.echo(f"{user.username}\t{user.role}\t{user.fhir_user}\t{state}\t{mfa}")


def _lock(username: str, locked: bool) -> None:
    if not run_db(settings_or_exit(), lambda conn: set_locked(conn, username, locked)):
        typer.echo(f"no user {username}", err=True)
        raise typer.Exit(1)
    typer.echo(f"{username} {'locked' if locked else 'unlocked'}")


@user_app.command("lock")
def user_lock(username: Annotated[str, typer.Argument(help="User name")]) -> None:
    """Refuse every sign-in of the account."""
    _lock(username, True)


@user_app.command("unlock")
def user_unlock(username: Annotated[str, typer.Argument(help="User name")]) -> None:
    """Allow the account to sign in again."""
    _lock(username, False)


@user_app.command("totp")
def user_totp(username: Annotated[str, typer.Argument(help="User name")]) -> None:
    """Enrol TOTP: prints the otpauth URI to load into an authenticator app (as a QR code)
    and ten one-time recovery codes, shown only now."""
    secret = pyotp.random_base32()
    codes = recovery_codes()
    digests = tuple(digest(code) for code in codes)
    if not run_db(
        settings_or_exit(), lambda conn: set_totp_secret(conn, username, secret, digests)
    ):
        typer.echo(f"no user {username}", err=True)
        raise typer.Exit(1)
    typer.echo(pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER))
    typer.echo("recovery codes (each works once):\n" + "\n".join(codes))


@launch_app.callback()
def launch(
    patient: Annotated[str, typer.Option(help="Patient id")],
    encounter: Annotated[str | None, typer.Option(help="Encounter id")] = None,
) -> None:
    """Print a launch value (valid one hour) bound to the patient and encounter."""
    from fhir_server.cli import services

    async def mint(redis_url: str) -> str:
        client = aioredis.Redis.from_url(redis_url)
        try:
            return await launches.mint(client, patient, encounter)
        finally:
            await client.aclose()

    settings = settings_or_exit()
    found = run_db(settings, lambda conn: launches.exists(conn, "Patient", patient))
    if not found:
        typer.echo(f"no Patient/{patient}", err=True)
        raise typer.Exit(1)
    with services(settings) as urls:
        typer.echo(asyncio.run(mint(urls.redis_url)))
