"""The ``paperboy`` command: run the product, migrate, and operate it from a shell.

Each group of commands lives in its own module; this one only assembles them.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Annotated

import typer

from app.cli import accounts, demo, papers, sending, serve, subscribers
from app.config import ConfigurationError, get_settings
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

cli.command()(serve.run)
db_cli.command("upgrade")(serve.db_upgrade)
admin_cli.command("create-user")(accounts.create_user)
subscribers_cli.command("import")(subscribers.import_csv)
subscribers_cli.command("list")(subscribers.list_all)
subscribers_cli.command("show")(subscribers.show)
cli.command()(papers.ingest)
cli.command("papers")(papers.show_papers)
cli.command()(papers.recommend)
cli.command()(sending.send)
cli.command()(demo.demo)
bounces_cli.command("process")(sending.process_bounces)


def main() -> None:
    """Console-script entry point; turns configuration errors into one clear line."""
    try:
        cli()
    except ConfigurationError as error:
        typer.echo(f"paperboy: {error}", err=True)
        raise SystemExit(2) from error


__all__ = ["cli", "main"]
