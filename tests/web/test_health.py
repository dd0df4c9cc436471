"""GET /healthz tells an operator whether the database and broker answer."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.db import make_engine, make_session_factory, transaction
from app.migrations import upgrade_database
from app.web.app import create_app
from tests.factories import add_subscriber, make_test_settings
from tests.web.pages import links_of


def test_healthz_is_ok_when_the_database_answers(db_engine: Engine, tmp_path: Path) -> None:
    app = create_app(make_test_settings(tmp_path), engine=db_engine)
    with TestClient(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "not configured",
        "reason": None,
    }


def test_healthz_is_503_when_the_database_is_down(tmp_path: Path) -> None:
    settings = make_test_settings(
        tmp_path, database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
    # Public: no host, port or database name from the driver's message.
    assert "127.0.0.1" not in response.text and "nowhere" not in response.text


def test_healthz_reports_the_broker_when_one_is_configured(
    db_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    settings = make_test_settings(tmp_path, broker_url=redis_url)
    with TestClient(create_app(settings, engine=db_engine)) as client:
        up = client.get("/healthz")
    down_settings = make_test_settings(tmp_path, broker_url="redis://127.0.0.1:1/0")
    with TestClient(create_app(down_settings, engine=db_engine)) as client:
        down = client.get("/healthz")
    assert (up.status_code, up.json()["broker"]) == (200, "ok")
    assert (down.status_code, down.json()["broker"]) == (503, "unavailable")


def test_pages_carry_security_headers(db_engine: Engine, tmp_path: Path) -> None:
    with TestClient(create_app(make_test_settings(tmp_path), engine=db_engine)) as client:
        response = client.get("/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_oversized_bodies_are_refused_before_parsing(db_engine: Engine, tmp_path: Path) -> None:
    settings = make_test_settings(tmp_path, max_body_bytes=1024)
    with TestClient(create_app(settings, engine=db_engine)) as client:
        response = client.post("/healthz", content=b"x" * 5000)
    assert response.status_code == 413


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    path = tmp_path / "health" / "paperboy.db"
    path.parent.mkdir()
    upgrade_database(f"sqlite:///{path}")
    return path


def _client(sqlite_file: Path, tmp_path: Path) -> TestClient:
    # The app builds its own engine, as in production (the web's short busy timeout).
    settings = make_test_settings(tmp_path, database_url=f"sqlite:///{sqlite_file}")
    return TestClient(create_app(settings))


def test_healthz_is_503_with_the_reason_when_the_database_file_is_moved_away(
    sqlite_file: Path, tmp_path: Path
) -> None:
    with _client(sqlite_file, tmp_path) as client:
        assert client.get("/healthz").status_code == 200
        sqlite_file.rename(sqlite_file.with_suffix(".moved"))
        response = client.get("/healthz")
    assert response.status_code == 503
    assert "database file" in response.json()["reason"]
    assert "missing" in response.json()["reason"]
    assert not sqlite_file.exists()  # the check did not create an empty one


def test_healthz_is_503_when_the_file_is_no_longer_a_database(
    sqlite_file: Path, tmp_path: Path
) -> None:
    with _client(sqlite_file, tmp_path) as client:
        assert client.get("/healthz").status_code == 200
        with sqlite_file.open("r+b") as damaged:
            damaged.write(b"\xff" * 4096)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert "not a database" in response.json()["reason"]


def test_healthz_is_503_when_the_schema_is_not_at_the_migration_head(
    sqlite_file: Path, tmp_path: Path
) -> None:
    with sqlite3.connect(sqlite_file) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0001_older'")
    with _client(sqlite_file, tmp_path) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert "0001_older" in response.json()["reason"]
    assert "paperboy db upgrade" in response.json()["reason"]


def test_a_held_write_lock_gives_503_on_health_and_writes_while_reads_still_answer(
    sqlite_file: Path, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{sqlite_file}")
    with transaction(make_session_factory(engine)) as session:
        add_subscriber(session, "reader@example.org")
    manage_token = links_of(engine, "reader@example.org").manage.rsplit("/", 1)[1]
    engine.dispose()
    other = sqlite3.connect(sqlite_file, isolation_level=None)
    try:
        with _client(sqlite_file, tmp_path) as client:
            client.get("/")
            other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            health = client.get("/healthz")
            page = client.get("/")
            api_read = client.get(f"/api/v1/subscriptions/{manage_token}")
            write = client.post("/api/v1/subscriptions", json={"email": "a@example.org"})
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert health.status_code == 503
    assert "locked" in health.json()["reason"]
    assert page.status_code == 200  # reads take no write lock
    assert api_read.status_code == 200  # a read-only API call answers
    assert api_read.json()["email"] == "reader@example.org"
    assert write.status_code == 503  # a writer gives up after the web's busy timeout


def test_the_health_check_keeps_the_servers_sqlite_locks(sqlite_file: Path, tmp_path: Path) -> None:
    # The embedded setup: the server and CLI commands share one SQLite file in WAL mode.
    # Opening and closing the file in the server (a header check) would drop the server's
    # locks, and the next command to close would delete the WAL the server still writes.
    def another_process() -> str:
        command = (
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
            " print(sorted(r[0] for r in c.execute('SELECT email FROM subscriber'))); c.close()"
        )
        ran = subprocess.run(
            [sys.executable, "-c", command, str(sqlite_file)], check=True, capture_output=True
        )
        return ran.stdout.decode().strip()

    wal = sqlite_file.with_name(sqlite_file.name + "-wal")
    with _client(sqlite_file, tmp_path) as client:
        assert client.get("/healthz").status_code == 200  # the pool holds a connection now
        assert client.get("/healthz").status_code == 200
        assert wal.exists()
        assert another_process() == "[]"
        assert wal.exists()
        # What the server writes next, another process reads.
        subscribed = client.post("/api/v1/subscriptions", json={"email": "after@example.org"})
        assert subscribed.status_code == 202
        assert another_process() == "['after@example.org']"


def test_a_postgresql_database_never_migrated_is_named_a_schema_to_upgrade_not_an_outage() -> None:
    from app.health import database_problem
    from tests.conftest import PG_URL

    # A schema that does not exist: the search path finds no table at all.
    engine = make_engine(f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3Dnowhere")
    try:
        problem = database_problem(engine)
    finally:
        engine.dispose()
    assert problem is not None and "does not answer" not in problem
    assert "revision none" in problem and "paperboy db upgrade" in problem
