"""Each featured day's upvote curve, kept on its ``paper_feature`` row.

The site lists a day's papers with how their upvotes rose while the day was being
fetched (the featured day and the next: ``CURVE_DAYS``), and ranks them by the upvote
velocity over it. Read from the snapshots on every page, that is every reading of the
period's papers (800 rows and their datetimes for a day of 50), the largest part of a
day page's time; the curve is the same readings, written here whenever snapshots or
featured days are stored, and read with the featured rows.

A curve is a list of ``[seconds since the featured day's start (UTC), upvotes]``,
oldest first; ``None`` until the row is first refreshed (the migration that added the
column filled it from the snapshots stored before).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models.paper import PaperFeature, PaperSnapshot

# Daily Papers is fetched on the featured day and the day after: the curve spans both.
CURVE_DAYS = 2
_CHUNK = 500

Curve = list[tuple[float, int]]
# A curve as read back from the database (JSON lists) or as built here.
CurvePoints = Sequence[Sequence[float]]


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def curve_of(readings: Sequence[tuple[datetime, int]], day: date) -> Curve:
    """The readings taken in ``day``'s window, as seconds since its start and upvotes."""
    start = day_start(day)
    end = start + timedelta(days=CURVE_DAYS)
    return [((at - start).total_seconds(), votes) for at, votes in readings if start <= at < end]


def refresh_curves(session: Session, paper_ids: Collection[int]) -> int:
    """Rewrite the curve of every featured day of these papers from their snapshots
    (only the rows whose curve changed: storing the same data again writes nothing).
    Returns how many rows were written."""
    written = 0
    ordered = sorted(set(paper_ids))
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start : start + _CHUNK]
        features = session.execute(
            select(
                PaperFeature.id,
                PaperFeature.paper_id,
                PaperFeature.featured_on,
                PaperFeature.upvote_curve,
            ).where(PaperFeature.paper_id.in_(chunk))
        ).all()
        if not features:
            continue
        first = day_start(min(f.featured_on for f in features))
        readings: dict[int, list[tuple[datetime, int]]] = {}
        for paper_id, fetched_at, upvotes in session.execute(
            select(PaperSnapshot.paper_id, PaperSnapshot.fetched_at, PaperSnapshot.upvotes)
            .where(PaperSnapshot.paper_id.in_(chunk), PaperSnapshot.fetched_at >= first)
            .order_by(PaperSnapshot.paper_id, PaperSnapshot.fetched_at)
        ):
            readings.setdefault(paper_id, []).append((fetched_at, upvotes))
        changed = []
        for feature in features:
            of_paper = readings.get(feature.paper_id, [])
            curve = [list(point) for point in curve_of(of_paper, feature.featured_on)]
            if curve != feature.upvote_curve:
                changed.append({"id": feature.id, "upvote_curve": curve})
        if changed:
            session.execute(update(PaperFeature), changed)
            written += len(changed)
    return written
