"""SQLite sessions: readers take no write lock, writers take it up front (app/db.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.db import make_engine, make_session_factory


def test_a_reader_is_not_blocked_by_a_held_write_lock_and_a_writer_gives_up_in_time(
    tmp_path: Path,
) -> None:
    path = tmp_path / "locks.db"
    engine = make_engine(f"sqlite:///{path}", busy_timeout_seconds=0.2)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE item (n INTEGER)"))
        connection.execute(text("INSERT INTO item VALUES (1)"))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with make_session_factory(engine, read_only=True)() as reader:
            assert reader.execute(text("SELECT count(*) FROM item")).scalar() == 1
            reader.commit()
        with make_session_factory(engine)() as writer, pytest.raises(OperationalError) as error:
            writer.execute(text("SELECT count(*) FROM item"))  # BEGIN IMMEDIATE waits, then fails
        assert "locked" in str(error.value)
    finally:
        other.execute("ROLLBACK")
        other.close()
        engine.dispose()
