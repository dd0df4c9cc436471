"""The ``paperboy`` command: run the product, migrate, and operate it from a shell.

Each group of commands lives in its own module; this one only assembles them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib.metadata import version
from typing import Annotated, Any

import typer
from sqlalchemy.exc import OperationalError

from app.cli import accounts, demo, papers, sending, serve, subscribers
from app.cli.database import safe_url
from app.cli.help import PlainCommand
from app.config import ConfigurationError, get_settings
from app.db import is_outage
from app.logs import configure_logging

cli = typer.Typer(
    name="paperboy",
    help="Personalised daily digests of trending machine-learning papers.",
    no_args_is_help=True,
    add_completion=False,
    # Plain help: rich panels print every option's Python type (<bool>, <%Y-%m-%d>).
    rich_markup_mode=None,
)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True, rich_markup_mode=None)
admin_cli = typer.Typer(
    help="Admin dashboard accounts.", no_args_is_help=True, rich_markup_mode=None
)
subscribers_cli = typer.Typer(
    help="Subscribers: import, list and show.", no_args_is_help=True, rich_markup_mode=None
)
bounces_cli = typer.Typer(
    help="Bounce messages (DSNs).", no_args_is_help=True, rich_markup_mode=None
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"paperboy {version('paperboy')}")
        raise typer.Exit


@cli.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Personalised daily digests of trending machine-learning papers."""
    settings = get_settings()
    # One-off commands print their own outcome; their logs add only errors (`paperboy run`
    # sets INFO for itself).
    configure_logging(settings.log_format, settings.log_level or "ERROR")


cli.add_typer(db_cli, name="db")
cli.add_typer(admin_cli, name="admin")
cli.add_typer(subscribers_cli, name="subscribers")
cli.add_typer(bounces_cli, name="bounces")

# Each command's line in `paperboy --help` (and its group's): short enough that Click
# does not cut it off with "..." at 80 columns; the docstring stays the full help.
CommandFunction = Callable[..., Any]

_SHORT_HELP = {
    "run": "Serve the whole product on one machine.",
    "ingest": "Fetch a day's papers, or load saved API responses.",
    "papers": "The stored papers featured on a day.",
    "recommend": "Rank a file of papers for one reader (no database).",
    "send": "Send a day's edition now and wait until it is finished.",
    "demo": "The offline first tour: sample papers, readers, an edition.",
    "upgrade": "Apply the database migrations.",
    "create-user": "Create an admin account.",
    "set-password": "Give an admin a new password (signs them out).",
    "import": "Import subscribers from a CSV file, as active.",
    "list": "List subscribers (everyone unless --status is given).",
    "show": "One subscriber, with their liked, disliked and brought papers.",
    "process": "Suppress hard-bounced addresses from a bounce Maildir.",
}


def _command(group: typer.Typer, name: str) -> Callable[[CommandFunction], CommandFunction]:
    return group.command(name, cls=PlainCommand, short_help=_SHORT_HELP[name])


_command(cli, "run")(serve.run)
_command(db_cli, "upgrade")(serve.db_upgrade)
_command(admin_cli, "create-user")(accounts.create_user)
_command(admin_cli, "set-password")(accounts.set_password)
_command(subscribers_cli, "import")(subscribers.import_csv)
_command(subscribers_cli, "list")(subscribers.list_all)
_command(subscribers_cli, "show")(subscribers.show)
_command(cli, "ingest")(papers.ingest)
_command(cli, "papers")(papers.show_papers)
_command(cli, "recommend")(papers.recommend)
_command(cli, "send")(sending.send)
_command(cli, "demo")(demo.demo)
_command(bounces_cli, "process")(sending.process_bounces)


# Options that take several values after one flag, as `ingest --file F [F...]` does
# (`recommend --seed-paper A B --clicked C`); repeating the flag works too.
LIST_OPTIONS = {"recommend": ("--seed-paper", "--clicked")}


def spread_list_options(args: list[str]) -> list[str]:
    """``--seed-paper A B`` as ``--seed-paper A --seed-paper B`` (Click takes one per flag)."""
    flags = LIST_OPTIONS.get(args[0], ()) if args else ()
    spread: list[str] = []
    current: str | None = None
    for arg in args:
        if arg in flags:
            current = arg
        elif arg.startswith("-"):
            current = None
            spread.append(arg)
        elif current is not None:
            spread += [current, arg]
        else:
            spread.append(arg)
    return spread


def main() -> None:
    """Console-script entry point; configuration errors and a database that does not
    answer are one clear line, not a traceback."""
    try:
        cli(args=spread_list_options(sys.argv[1:]), prog_name="paperboy")
    except ConfigurationError as error:
        typer.echo(f"paperboy: {error}", err=True)
        raise SystemExit(2) from error
    except OperationalError as error:
        url = safe_url(get_settings().database_url)
        reason = str(error.orig or error).strip().splitlines()[0]
        # A server that answers "no such database" or "wrong password" does answer:
        # what to fix is the setting, not the server.
        state = "does not answer" if is_outage(error) else "refuses PAPERBOY_DATABASE_URL"
        typer.echo(f"paperboy: the database at {url} {state}: {reason}", err=True)
        raise SystemExit(1) from None


__all__ = ["cli", "main"]
