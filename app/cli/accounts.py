"""``paperboy admin create-user``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from app.cli.database import database_session
from app.config import get_settings


def create_user(
    email: Annotated[
        str, typer.Argument(metavar="EMAIL", help="The admin's email address (the sign-in name).")
    ],
) -> None:
    """Create an admin account; the password is asked twice (or read as two stdin lines)."""
    from app.admin.auth import AdminAuthError, create_admin_user

    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        lines = sys.stdin.read().splitlines()
        if len(lines) < 2:
            typer.echo("paperboy: give the password twice, on two lines of stdin.", err=True)
            raise typer.Exit(1)
        if lines[0] != lines[1]:
            typer.echo("paperboy: the two passwords do not match; nothing was created.", err=True)
            raise typer.Exit(1)
        password = lines[0]
    settings = get_settings()
    try:
        with database_session(settings) as session:
            create_admin_user(session, email=email, password=password)
    except AdminAuthError as error:
        typer.echo(f"paperboy: {error}", err=True)
        raise typer.Exit(1) from error
    address = email.strip().lower()
    typer.echo(f"Admin account {address} created; sign in at {settings.base_url}/admin")
