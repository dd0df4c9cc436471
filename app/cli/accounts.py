"""``paperboy admin create-user`` and ``paperboy admin set-password``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from app.cli.database import database_session
from app.config import get_settings


def _password_twice(action: str) -> str:
    """The password, asked twice at a terminal, or read as two lines of stdin."""
    if sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    # Bytes, split at line feeds only: str.splitlines() also splits at a vertical tab,
    # U+0085 or U+2028 inside a password (a mismatch, or only its first part set), and
    # text that is not UTF-8 ended in a traceback.
    try:
        text = sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError:
        typer.echo(f"paperboy: the password is not UTF-8 text; nothing was {action}.", err=True)
        raise typer.Exit(1) from None
    lines = [line.removesuffix("\r") for line in text.removesuffix("\n").split("\n")]
    if len(lines) < 2:
        typer.echo("paperboy: give the password twice, on two lines of stdin.", err=True)
        raise typer.Exit(1)
    if lines[0] != lines[1]:
        typer.echo(f"paperboy: the two passwords do not match; nothing was {action}.", err=True)
        raise typer.Exit(1)
    return lines[0]


def create_user(
    email: Annotated[
        str, typer.Argument(metavar="EMAIL", help="The admin's email address (the sign-in name).")
    ],
) -> None:
    """Create an admin account; the password is asked twice (or read as two stdin lines)."""
    from app.admin.auth import AdminAuthError, AdminUserExists, create_admin_user

    password = _password_twice("created")
    settings = get_settings()
    try:
        with database_session(settings) as session:
            create_admin_user(session, email=email, password=password)
    except AdminUserExists as error:
        typer.echo(f"paperboy: {error} (paperboy admin set-password gives it a new one)", err=True)
        raise typer.Exit(1) from error
    except AdminAuthError as error:
        typer.echo(f"paperboy: {error}", err=True)
        raise typer.Exit(1) from error
    address = email.strip().lower()
    typer.echo(f"Admin account {address} created; sign in at {settings.base_url}/admin")


def set_password(
    email: Annotated[
        str, typer.Argument(metavar="EMAIL", help="The admin's email address (the sign-in name).")
    ],
) -> None:
    """Give an admin a new password, asked twice (or read as two stdin lines).

    Every session of that admin is signed out, and a lock after failed sign-ins is lifted.
    """
    from app.admin.auth import AdminAuthError, UnknownAdmin, admin_for_email, set_admin_password

    settings = get_settings()
    with database_session(settings) as session:  # before asking for a password in vain
        if admin_for_email(session, email) is None:
            typer.echo(f"paperboy: {UnknownAdmin.of(email)}.", err=True)
            raise typer.Exit(1)
    password = _password_twice("changed")
    try:
        with database_session(settings) as session:
            admin = set_admin_password(session, email=email, password=password)
            address = admin.email
    except AdminAuthError as error:
        typer.echo(f"paperboy: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(
        f"New password set for {address}; its sessions are signed out. "
        f"Sign in at {settings.base_url}/admin"
    )
