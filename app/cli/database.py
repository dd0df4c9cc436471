"""The CLI's database access: one engine per command, closed when it ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings, get_settings
from app.db import make_engine, make_session_factory, transaction
from app.migrations import migration_heads, schema_revisions, upgrade_database


@contextmanager
def session_factory(settings: Settings | None = None) -> Iterator[sessionmaker[Session]]:
    """Sessions on the configured database; the embedded SQLite file is migrated first.

    Migrating SQLite on first use lets a newcomer run any command before
    ``paperboy run`` has created the file; PostgreSQL is migrated explicitly, and a
    command on one that is not (or not yet to the installed version) says so in one
    line and exits 1, instead of a traceback from the first query on a missing table.
    """
    settings = settings or get_settings()
    if settings.is_sqlite:
        upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        if not settings.is_sqlite:
            _require_migrated(engine)
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def _require_migrated(engine: Engine) -> None:
    with engine.connect() as connection:
        current = schema_revisions(connection)
    if current == migration_heads():
        return
    shown = engine.url.render_as_string(hide_password=True)
    state = (
        f"is at schema revision {', '.join(sorted(current))}, not this version's "
        f"{', '.join(sorted(migration_heads()))}"
        if current
        else "has no Paperboy tables yet"
    )
    typer.echo(
        f"paperboy: the database at {shown} {state}: run `paperboy db upgrade` first.",
        err=True,
    )
    raise typer.Exit(1)


@contextmanager
def database_session(settings: Settings | None = None) -> Iterator[Session]:
    """One transaction on the configured database, committed on success."""
    with session_factory(settings) as factory, transaction(factory) as session:
        yield session


def safe_url(url: str) -> str:
    """``url`` with any password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)
