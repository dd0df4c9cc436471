"""Database plumbing: engine, session factory, the declarative ``Base``.

SQLite is the embedded default, so the engine turns on WAL and a busy timeout:
the CLI and a running ``paperboy run`` can use the same file at the same time.

How SQLite transactions lock (PostgreSQL needs none of this):

- A *writer* session (the default: tasks, the CLI, every non-GET request) opens
  its transaction with ``BEGIN IMMEDIATE``: it takes the write lock up front, so
  two writers queue on the busy timeout. A deferred transaction that read first
  and writes later would instead fail at once with "database is locked" whenever
  another writer committed in between (WAL cannot upgrade a stale snapshot).
- A *reader* session (``make_session_factory(engine, read_only=True)``: GET
  requests, the health check's queries) opens with a plain deferred ``BEGIN``
  and never asks for the write lock. In WAL mode readers neither wait for nor
  block a writer, so a held write lock cannot stall a page or ``SELECT 1``.
  A reader that writes anyway still works when nobody else is writing, but can
  fail under contention: code that writes takes a writer session.
- The busy timeout bounds how long a writer waits for the lock. The web app uses
  a short one (a quick 503 beats a hung request); workers and the CLI wait longer.
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import orjson
import psycopg
from psycopg.types.json import set_json_loads
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    DateTime,
    Engine,
    MetaData,
    SQLColumnExpression,
    String,
    any_,
    create_engine,
    event,
    literal,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base whose constraints get predictable names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


log = logging.getLogger(__name__)
T = TypeVar("T")


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return datetime.now(UTC)


READ_ONLY = "paperboy_read_only"  # execution option of a reader session's bind
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


def make_engine(
    database_url: str, *, busy_timeout_seconds: float = SQLITE_BUSY_TIMEOUT_SECONDS, **kwargs: Any
) -> Engine:
    """An engine for ``database_url``, with SQLite tuned for concurrent use.

    ``busy_timeout_seconds``: how long a SQLite writer waits for the write lock.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault(
            "connect_args", {"timeout": busy_timeout_seconds, "check_same_thread": False}
        )
        kwargs.setdefault("json_deserializer", json_loads)  # SQLAlchemy parses SQLite's JSON
        engine = create_engine(url, **kwargs)
        busy_ms = int(busy_timeout_seconds * 1000)

        def configure(dbapi_connection: sqlite3.Connection, record: object) -> None:
            _configure_sqlite(dbapi_connection, record, busy_ms)

        event.listen(engine, "connect", configure)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "postgresql":
        event.listen(engine, "connect", _configure_postgresql)
    return engine


_LONG_DIGITS = re.compile(r"[0-9]{19}")
_LONG_DIGITS_BYTES = re.compile(rb"[0-9]{19}")


def json_loads(data: str | bytes) -> Any:
    """A JSON document as the standard library reads it, parsed by orjson where orjson
    can (a listing page reads four JSON columns per paper: json.loads was 8% of it).

    What orjson refuses and ``json`` accepts (NaN, lone surrogates: a stored row may
    hold anything a source sent) is read by ``json``; so is any document with a run of
    19 digits or more, where orjson would turn an integer past 64 bits into a float.
    """
    if isinstance(data, str):
        plain = _LONG_DIGITS.search(data) is None
    else:
        plain = _LONG_DIGITS_BYTES.search(data) is None
    if plain:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)


def _configure_postgresql(dbapi_connection: Any, _record: object) -> None:
    # psycopg parses json/jsonb columns itself; this connection does it with json_loads.
    set_json_loads(json_loads, dbapi_connection)


def _configure_sqlite(dbapi_connection: sqlite3.Connection, _record: object, busy_ms: int) -> None:
    # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit transactions defeat
    # SAVEPOINTs), then make the file safe to share between processes.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms:d}")
    cursor.close()


def _begin_sqlite(connection: Any) -> None:
    # Writers take the write lock up front; readers never ask for it (module docstring).
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit.

    ``read_only``: sessions that only read; on SQLite they take no write lock.
    """
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


@lru_cache(maxsize=8)
def session_factory_for(database_url: str) -> sessionmaker[Session]:
    """This process's sessions on ``database_url``: one engine (and pool) per URL, kept.

    Jobs use it, so a worker opens its pool once; a test that points the
    settings at another database gets another engine.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return make_session_factory(make_engine(database_url))
    return make_session_factory(make_engine(database_url, pool_size=2, max_overflow=4))


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on error (for tasks and the CLI)."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the session's current transaction has committed.

    Jobs are enqueued this way so a worker never looks for a row that is not
    committed yet (and nothing is enqueued when the transaction rolls back).
    """
    pending: list[Callable[[], None]] = session.info.setdefault("on_commit", [])
    pending.append(callback)
    if not event.contains(session, "after_commit", _run_on_commit):
        event.listen(session, "after_commit", _run_on_commit)
        event.listen(session, "after_rollback", _drop_on_commit)


def _run_on_commit(session: Session) -> None:
    callbacks = session.info.pop("on_commit", [])
    for callback in callbacks:
        callback()


def _drop_on_commit(session: Session) -> None:
    session.info.pop("on_commit", None)


_MISCONFIGURED = ("does not exist", "authentication failed", "no pg_hba.conf entry")


def is_outage(error: BaseException) -> bool:
    """True for a database that is away for a while (restarting, failing over, locked).

    Connection refused, "terminating connection", a dropped socket (psycopg's
    ``OperationalError`` family) and SQLite's busy lock are worth waiting out;
    a missing table, a constraint violation, or a database, role or password that
    does not exist or match (a wrong ``DATABASE_URL``) is not.
    """
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    original = error.orig
    if isinstance(original, psycopg.OperationalError):
        # A database, role or password that is wrong will not come back by waiting.
        return not any(sign in str(original) for sign in _MISCONFIGURED)
    if isinstance(original, sqlite3.OperationalError):
        return "locked" in str(original) or "busy" in str(original)
    return False


def wait_out_outage(
    work: Callable[[], T],
    *,
    patience_seconds: float,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """``work()``, retried with backoff while the database is away (``is_outage``).

    Says so once in the log when it starts waiting and once when the database is
    back; gives up (re-raises) after ``patience_seconds``. ``work`` must be safe
    to run again: a transaction that failed was rolled back.
    """
    deadline = clock() + patience_seconds
    delay = 0.25
    waiting_since: float | None = None
    while True:
        try:
            result = work()
        except DBAPIError as error:
            if not is_outage(error) or clock() + delay > deadline:
                raise
            if waiting_since is None:
                waiting_since = clock()
                log.warning("database unavailable while %s; waiting: %s", what, error.orig)
            sleep(delay)
            delay = min(delay * 2, 5.0)
            continue
        if waiting_since is not None:
            log.warning("database back after %.0f s; %s goes on", clock() - waiting_since, what)
        return result


def one_of(
    column: SQLColumnExpression[str], values: Collection[str], *, dialect: str
) -> ColumnElement[bool]:
    """``column IN (values)``, spelled ``column = ANY(:array)`` on PostgreSQL.

    One array parameter keeps the statement's text the same whatever the number
    of values, so neither psycopg (which parses every placeholder of a new text)
    nor the server's plan cache sees a new statement per batch.
    """
    if dialect == "postgresql":
        return column == any_(literal(list(values), ARRAY(String)))
    return column.in_(values)
