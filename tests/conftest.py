"""Fixtures shared by the whole suite: real PostgreSQL and SQLite, settings, sessions.

Every database test runs on both backends (``db_engine`` is parametrised) and
rolls back at the end (SQLAlchemy's "join a session into an external
transaction" recipe). Tests that need real commits (a web server, a worker)
use ``clean_db`` instead, which empties the tables afterwards.

A missing PostgreSQL or Redis is an error, never a skip: ``make test`` starts
them (scripts/test-services.sh) before pytest runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import make_engine
from app.jobs import wait_for_background
from app.migrations import upgrade_database
from tests.factories import make_test_settings, truncate_all
from tests.smtp_server import SMTPTestServer, running_smtp_server

PG_URL = os.environ.get(
    "PAPERBOY_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("PAPERBOY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BACKENDS = ["postgresql", "sqlite"]
# How long a test's leftover background jobs (an embedded send) may take to finish.
BACKGROUND_JOBS_SECONDS = 120


@pytest.fixture(autouse=True)
def rate_limit_windows_held_still(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rate limits count in fixed windows (aligned to multiples of their length): a test
    making twenty sign-ins would, now and then, straddle a window's end and see its count
    start again. In-process limiters count on a clock held at the start of an hour."""
    from app.subscriptions import ratelimit

    held = time.time() // 3600 * 3600 + 1
    monkeypatch.setattr(ratelimit, "clock", lambda: held)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_test_settings(tmp_path)


def _fresh_postgres() -> Engine:
    engine = make_engine(PG_URL)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    except Exception as error:  # pragma: no cover - environment problem
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_URL}: {error}. "
            "Run `make services` (or `make test`, which does it) to start it.",
            pytrace=False,
        )
    upgrade_database(PG_URL)
    return engine


@pytest.fixture(scope="session")
def postgresql_engine() -> Iterator[Engine]:
    engine = _fresh_postgres()
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'paperboy.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_engine(request: pytest.FixtureRequest) -> Engine:
    """A migrated database engine, once per backend."""
    engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    return engine


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    """A session whose commits are savepoints inside one transaction rolled back at the end."""
    connection = db_engine.connect()
    outer = connection.begin()
    db_session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield db_session
    finally:
        db_session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def clean_db(db_engine: Engine) -> Iterator[Engine]:
    """A migrated engine whose tables are emptied after the test (real commits allowed).

    A send the test queued in embedded mode runs on a background thread: it is waited
    for first, so it neither holds locks the truncation needs nor writes into the next
    test's tables.
    """
    truncate_all(db_engine)
    yield db_engine
    if not wait_for_background(BACKGROUND_JOBS_SECONDS):
        pytest.fail(f"background jobs still running after {BACKGROUND_JOBS_SECONDS} s")
    truncate_all(db_engine)


@pytest.fixture(scope="session")
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as error:  # pragma: no cover - environment problem
        pytest.fail(
            f"Redis is not reachable at {REDIS_URL}: {error}. Run `make services`.", pytrace=False
        )
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def smtp_server() -> Iterator[SMTPTestServer]:
    """A real SMTP server on a free local port, collecting every message it accepts."""
    yield from running_smtp_server()


@pytest.fixture
def smtputf8_server() -> Iterator[SMTPTestServer]:
    """A real SMTP server that offers SMTPUTF8 (international local parts)."""
    yield from running_smtp_server(smtputf8=True)
