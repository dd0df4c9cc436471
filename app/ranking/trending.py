"""How much a paper is trending right now: the "Top today" order and the fallback.

The formula, for a paper of age ``T`` hours::

    points   = upvotes + 2 * num_comments + 6 * upvote_velocity + 5 * ln(1 + github_stars)
    trending = points / (T / 24 + 1) ** GRAVITY          with GRAVITY = 1.5

Reasoning:

* **Upvotes** are the community's direct vote and the main term, linear as on
  Hacker News: a paper with twice the votes should rank about twice as high.
* **Comments** take more effort than an upvote and signal discussion, so each
  counts double; they are rare on Daily Papers, so this rarely dominates.
* **Velocity** (upvotes per hour from the day's snapshots) separates a paper that
  is taking off from one that collected its votes yesterday. Six hours' worth of
  the current rate is added: at equal totals, the faster paper wins.
* **GitHub stars** are logarithmic because a repository that existed before the
  paper (a famous project) can have 50,000 stars that say little about today's
  paper; ``ln`` keeps "has a popular repository" a bonus, not the ranking
  (50,000 stars are worth about 54 upvotes, 100 stars about 23).
* **Gravity** as on Hacker News, but on a scale of days, not hours: an edition's
  candidates are mostly featured the same day, so hours barely matter, while a
  paper featured two days ago and still unsent should yield to today's. At
  GRAVITY 1.5 a one-day-old paper needs 2.8x the points of a fresh one.

Age is measured from the featured day (midnight UTC) when known, else from the
arXiv publication time, else taken as zero. ``trending_scores`` also returns a
[0, 1] normalisation (``ln(1 + score)`` over its maximum) so the score can be
blended with cosine similarities without one scale swamping the other.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, time

import numpy as np
from numpy.typing import NDArray

from app.ranking.candidates import CandidatePaper

GRAVITY = 1.5
COMMENT_WEIGHT = 2.0
VELOCITY_HOURS = 6.0
STARS_WEIGHT = 5.0


def paper_age_hours(paper: CandidatePaper, now: datetime) -> float:
    """Hours since the paper was featured (or published), never negative."""
    if paper.featured_on is not None:
        start = datetime.combine(paper.featured_on, time(0), tzinfo=UTC)
    elif paper.published_at is not None:
        start = paper.published_at
    else:
        return 0.0
    return max(0.0, (now - start).total_seconds() / 3600.0)


def trending_points(paper: CandidatePaper) -> float:
    """The engagement a paper has collected (the numerator of the formula)."""
    stars = paper.github_stars or 0
    return (
        max(paper.upvotes, 0)
        + COMMENT_WEIGHT * max(paper.num_comments, 0)
        + VELOCITY_HOURS * max(paper.upvote_velocity, 0.0)
        + STARS_WEIGHT * math.log1p(max(stars, 0))
    )


def trending_score(paper: CandidatePaper, now: datetime) -> float:
    """The trending score of one paper at ``now`` (see the module docstring)."""
    age_days = paper_age_hours(paper, now) / 24.0
    return float(trending_points(paper) / (age_days + 1.0) ** GRAVITY)


def trending_scores(
    papers: Sequence[CandidatePaper], now: datetime
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Raw trending scores and their [0, 1] normalisation, in the order given."""
    raw = np.array([trending_score(p, now) for p in papers], dtype=np.float64)
    logged = np.log1p(raw)
    top = float(logged.max()) if len(logged) else 0.0
    normalised = logged / top if top > 0 else np.zeros_like(logged)
    return raw, normalised


def trending_ranks(raw: NDArray[np.float64]) -> NDArray[np.int64]:
    """1-based trending rank of each paper (1 = most trending), ties by input order."""
    order = np.argsort(-raw, kind="stable")
    ranks = np.empty(len(raw), dtype=np.int64)
    ranks[order] = np.arange(1, len(raw) + 1)
    return ranks


def upvote_velocity(readings: Sequence[tuple[datetime, int]]) -> float:
    """Upvotes gained per hour between the first and the last (time, upvotes) reading.

    0 when there are fewer than two readings or the count did not rise: a paper still
    collecting votes is taking off; one whose snapshots stopped changing is not.
    """
    if len(readings) < 2:
        return 0.0
    seconds = (readings[-1][0] - readings[0][0]).total_seconds()
    return _rise_per_hour(seconds, readings[-1][1] - readings[0][1])


def curve_velocity(curve: Sequence[Sequence[float]]) -> float:
    """``upvote_velocity`` of (seconds, upvotes) points: a featured day's stored curve."""
    if len(curve) < 2:
        return 0.0
    return _rise_per_hour(curve[-1][0] - curve[0][0], curve[-1][1] - curve[0][1])


def _rise_per_hour(seconds: float, gained: float) -> float:
    hours = seconds / 3600.0
    return max(0.0, gained / hours) if hours > 0 else 0.0
