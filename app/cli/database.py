"""The CLI's database access: one engine per command, closed when it ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings, get_settings
from app.db import make_engine, make_session_factory, transaction
from app.migrations import upgrade_database


@contextmanager
def session_factory(settings: Settings | None = None) -> Iterator[sessionmaker[Session]]:
    """Sessions on the configured database; the embedded SQLite file is migrated first.

    Migrating SQLite on first use lets a newcomer run any command before
    ``paperboy run`` has created the file; PostgreSQL is migrated explicitly.
    """
    settings = settings or get_settings()
    if settings.is_sqlite:
        upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@contextmanager
def database_session(settings: Settings | None = None) -> Iterator[Session]:
    """One transaction on the configured database, committed on success."""
    with session_factory(settings) as factory, transaction(factory) as session:
        yield session


def safe_url(url: str) -> str:
    """``url`` with any password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)
