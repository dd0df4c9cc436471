"""Health checks of the parts Paperboy depends on.

The database check tells the truth about what requests will meet: the file is
there (SQLite), it is a database, the schema is at the migration head, and a
writer can take the lock within a second. Each failure comes back as a reason
a person can act on, quickly: a held lock is reported, not waited out.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from kombu import Connection
from sqlalchemy import Engine, make_url, text
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from app.db import is_outage, make_engine
from app.migrations import migration_heads, schema_revisions

log = logging.getLogger(__name__)

LOCK_WAIT_MS = 1000  # how long the check waits for SQLite's write lock
CONNECT_TIMEOUT_SECONDS = 5  # a start-up check of a host that drops packets


def database_problem(engine: Engine) -> str | None:
    """Why the database cannot serve requests now, or None when it can."""
    url = engine.url
    on_disk = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if on_disk and not Path(str(url.database)).is_file():
        # Connecting would create an empty file in its place.
        return f"the database file {url.database} is missing"
    if on_disk and not _is_sqlite_database(Path(str(url.database))):
        # Open connections may keep answering from their cache and the WAL.
        return f"the database file {url.database} is not a database (its header is damaged)"
    sqlite = url.get_backend_name() == "sqlite"
    try:
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            assert raw is not None
            previous = _busy_timeout(raw, LOCK_WAIT_MS) if sqlite else None
            try:
                # On SQLite this begins with BEGIN IMMEDIATE (app/db.py): a held
                # write lock is found within LOCK_WAIT_MS, not waited out.
                current = schema_revisions(connection)
            finally:
                connection.rollback()
                if previous is not None:
                    _busy_timeout(raw, previous)
    except SQLAlchemyError as error:
        log.warning("database health check failed: %s", error)
        if not sqlite:  # the server's words name hosts, ports and databases: logged only
            return "the database does not answer (the server's log says why)"
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        return f"the database does not answer: {reason}"
    if current != migration_heads():
        found = ", ".join(sorted(current)) or "none"
        expected = ", ".join(sorted(migration_heads()))
        return f"the schema is at revision {found}, not {expected}: run `paperboy db upgrade`"
    return None


def _is_sqlite_database(path: Path) -> bool:
    """Whether the file itself (not the WAL, which may hold a good first page) is a database.

    Read through SQLite, never with ``open()``: closing any descriptor of the file drops
    every POSIX lock this process holds on it, its SQLite connections' included, and the
    next CLI command to close would then delete the WAL under the running server. SQLite
    keeps its own descriptors open while another of its connections holds a lock;
    ``immutable=1`` reads the main file alone, without locking it.
    """
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            connection.execute("PRAGMA schema_version").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        return False
    return True


def _busy_timeout(dbapi_connection: Any, milliseconds: int) -> int:
    """Set SQLite's busy timeout on a raw connection; the previous value."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA busy_timeout")
        previous = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA busy_timeout={int(milliseconds):d}")
    finally:
        cursor.close()
    return previous


def wrong_database_settings(database_url: str) -> str | None:
    """Why ``database_url`` will never serve (no such database, role or password), or None.

    For a process that is starting (a Celery worker), so that it refuses to run rather
    than take tasks that all fail. A database that answers is None; so is one away for a
    while (``is_outage``: refused, restarting), which the work waits out itself: that is
    logged, and the process goes on.
    """
    try:
        url = make_url(database_url)
    except ArgumentError as error:
        return f"PAPERBOY_DATABASE_URL is not a database URL: {error}"
    options: dict[str, Any] = {"poolclass": NullPool}  # nothing kept for forked children
    if url.get_backend_name() == "postgresql":
        options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    shown = url.render_as_string(hide_password=True)
    try:
        engine = make_engine(database_url, **options)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except SQLAlchemyError as error:
        reason = " ".join(str(getattr(error, "orig", None) or error).split())
        if is_outage(error):
            log.warning("the database at %s does not answer yet (work waits): %s", shown, reason)
            return None
        return f"the database at {shown} refuses these settings (PAPERBOY_DATABASE_URL): {reason}"
    return None


def check_database(engine: Engine) -> bool:
    """True when the database can serve requests (see ``database_problem``)."""
    return database_problem(engine) is None


def check_broker(broker_url: str) -> bool:
    """True when the broker accepts a connection within two seconds."""
    try:
        with Connection(broker_url, connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:
        log.warning("broker health check failed: %s", error)
        return False
    return True
