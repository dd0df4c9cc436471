"""A featured day's upvote curve follows its snapshots: written with them, on both
backends, and filled by the migration for snapshots stored before it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from app.db import make_engine
from app.ingest.curves import refresh_curves
from app.ingest.parse import ParsedPaper
from app.ingest.store import store_papers
from app.migrations import upgrade_database
from app.models import Paper, PaperFeature
from tests.conftest import PG_URL

DAY = date(2025, 11, 20)
START = datetime(2025, 11, 20, tzinfo=UTC)


def _fetch(session: Session, hours: float, upvotes: int, *, day: date = DAY) -> None:
    paper = ParsedPaper(
        arxiv_id="2511.11111", title="A paper", abstract="", featured_on=day, upvotes=upvotes
    )
    store_papers(session, [paper], fetched_at=START + timedelta(hours=hours))


def _curves(session: Session) -> dict[date, list[list[float]] | None]:
    rows = session.execute(
        select(PaperFeature.featured_on, PaperFeature.upvote_curve)
        .join(Paper, Paper.id == PaperFeature.paper_id)
        .where(Paper.arxiv_id == "2511.11111")
    )
    return {day: curve for day, curve in rows}


def test_each_fetch_extends_the_featured_days_curve_over_that_day_and_the_next(
    session: Session,
) -> None:
    _fetch(session, 1, 3)
    assert _curves(session) == {DAY: [[3600.0, 3]]}
    _fetch(session, 13.5, 40)
    _fetch(session, 30, 55)  # the day after: Daily Papers still lists it
    _fetch(session, 49, 60)  # two days on: past the curve's window
    assert _curves(session) == {DAY: [[3600.0, 3], [48600.0, 40], [108000.0, 55]]}


def test_a_paper_featured_again_has_a_curve_per_featured_day(session: Session) -> None:
    _fetch(session, 2, 10)
    _fetch(session, 24 * 7 + 2, 90, day=DAY + timedelta(days=7))
    assert _curves(session) == {
        DAY: [[7200.0, 10]],
        DAY + timedelta(days=7): [[7200.0, 90]],
    }


def test_storing_the_same_readings_again_writes_no_curve(session: Session) -> None:
    _fetch(session, 1, 3)
    _fetch(session, 5, 8)
    paper_ids = session.scalars(select(Paper.id)).all()
    assert refresh_curves(session, paper_ids) == 0


@pytest.fixture(params=["sqlite", "postgresql"])
def before_curves(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database migrated to the revision before the curves (its own schema on PG)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        admin = make_engine(PG_URL)
        with admin.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS curve_migration CASCADE"))
            connection.execute(text("CREATE SCHEMA curve_migration"))
        admin.dispose()
        separator = "&" if "?" in PG_URL else "?"
        url = f"{PG_URL}{separator}options=-csearch_path%3Dcurve_migration"
    upgrade_database(url, "cd717057fe24")
    yield url
    if request.param == "postgresql":
        admin = make_engine(PG_URL)
        with admin.begin() as connection:
            connection.execute(text("DROP SCHEMA curve_migration CASCADE"))
        admin.dispose()


def test_the_migration_fills_the_curves_of_snapshots_stored_before_it(before_curves: str) -> None:
    engine: Engine = make_engine(before_curves)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO paper (id, arxiv_id, title, abstract, authors, upvotes, "
                "num_comments, ai_keywords, categories, created_at, updated_at) VALUES "
                "(1, '2511.00001', 'One', '', '[]', 9, 0, '[]', '[]', :at, :at), "
                "(2, '2511.00002', 'Two', '', '[]', 0, 0, '[]', '[]', :at, :at)"
            ),
            {"at": START},
        )
        connection.execute(
            text(
                "INSERT INTO paper_feature (id, paper_id, featured_on, created_at) VALUES "
                "(1, 1, :day, :at), (2, 2, :day, :at), (3, 1, :later, :at)"
            ),
            {"day": DAY, "later": DAY + timedelta(days=30), "at": START},
        )
        for hours, votes in ((1, 2), (25.25, 9), (50, 12)):
            connection.execute(
                text(
                    "INSERT INTO paper_snapshot (paper_id, fetched_at, upvotes, num_comments) "
                    "VALUES (1, :at, :votes, 0)"
                ),
                {"at": START + timedelta(hours=hours), "votes": votes},
            )
    upgrade_database(before_curves)
    with Session(engine) as session:
        stored = dict(session.execute(select(PaperFeature.id, PaperFeature.upvote_curve)).all())
        assert stored == {1: [[3600.0, 2], [90900.0, 9]], 2: [], 3: []}
        # What ingest would write now is what the migration wrote.
        assert refresh_curves(session, [1, 2]) == 0
    engine.dispose()
