"""A long send's dead delivery rows are vacuumed by the workers, not left to luck.

The test server runs with autovacuum off (as a throttled or busy server behaves):
without this, a 1M send slowed from 1,125/s to about 500/s as dead rows piled up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text, update
from sqlalchemy.orm import Session

from app.db import make_engine
from app.editions.service import open_edition
from app.editions.upkeep import DeadRowWatch
from app.models import Delivery, DeliveryStatus
from tests.factories import DAY, add_papers, add_subscriber, make_test_settings, truncate_all


@pytest.fixture
def pg(postgresql_engine: Engine) -> Iterator[Engine]:
    truncate_all(postgresql_engine)
    yield postgresql_engine
    truncate_all(postgresql_engine)


def dead_rows(engine: Engine, table: str, *, at_least: int = 0) -> int:
    """``table``'s dead rows as the statistics say (they lag their writers by up to a second)."""
    deadline = time.monotonic() + 10
    while True:
        with engine.connect() as connection:
            dead = connection.scalar(
                text("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = :t"),
                {"t": table},
            )
        if dead >= at_least or time.monotonic() > deadline:
            return int(dead)
        time.sleep(0.2)


def test_deliveries_full_of_dead_rows_are_vacuumed_once_and_then_left_alone(
    pg: Engine, tmp_path: Path
) -> None:
    with Session(pg) as session:
        add_papers(session, count=3)
        for n in range(300):
            add_subscriber(session, f"r{n}@example.org")
        open_edition(session, edition_date=DAY, settings=make_test_settings(tmp_path))
        session.commit()
        for status in (DeliveryStatus.SENDING, DeliveryStatus.SENT):  # what a send does
            session.execute(update(Delivery).values(status=status))
            session.commit()
        session.execute(text("SELECT pg_stat_force_next_flush()"))
        session.commit()
    assert dead_rows(pg, "delivery", at_least=600) >= 600

    watch = DeadRowWatch()
    assert watch.vacuum_if_bloated(pg, base=500, now=1000.0) == ["delivery"]
    assert dead_rows(pg, "delivery") == 0
    # Not looked at again within CHECK_SECONDS, and lean when it is.
    assert watch.vacuum_if_bloated(pg, base=0, share=0, now=1001.0) == []
    assert watch.vacuum_if_bloated(pg, base=500, now=1060.0) == []


def test_sqlite_has_nothing_to_vacuum(sqlite_engine: Engine) -> None:
    assert DeadRowWatch().vacuum_if_bloated(sqlite_engine, base=0, share=0) == []


def test_a_database_that_cannot_be_reached_costs_the_chunk_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    # Its own handler: another test may have stopped the app's loggers propagating.
    logger = logging.getLogger("app.editions.upkeep")
    level = logger.level
    logger.setLevel(logging.WARNING)  # setLevel: it clears the loggers' cached answers too
    logger.addHandler(caplog.handler)
    try:
        assert DeadRowWatch().vacuum_if_bloated(unreachable) == []
    finally:
        logger.removeHandler(caplog.handler)
        logger.setLevel(level)
    assert "vacuuming the send's tables failed" in caplog.text
