"""What a task needs to do its work: the process settings and a session on their database.

Tasks read ``get_settings()`` (the environment), so a worker and the web app
agree on the database, the mail transport and the secret key. Engines are
cached per database URL: a worker process opens its pool once, and a test that
points ``PAPERBOY_DATABASE_URL`` elsewhere (then clears the settings cache)
gets an engine for that database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings, get_settings
from app.db import make_engine, make_session_factory, transaction


@lru_cache(maxsize=8)
def engine_for(database_url: str) -> Engine:
    return make_engine(database_url)


@lru_cache(maxsize=8)
def session_factory_for(database_url: str) -> sessionmaker[Session]:
    return make_session_factory(engine_for(database_url))


@contextmanager
def task_session() -> Iterator[tuple[Settings, Session]]:
    """The settings and a session committed when the task's work succeeds."""
    settings = get_settings()
    with transaction(session_factory_for(settings.database_url)) as session:
        yield settings, session
