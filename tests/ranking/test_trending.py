from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import pytest

from app.ranking.trending import (
    GRAVITY,
    paper_age_hours,
    trending_points,
    trending_ranks,
    trending_score,
    trending_scores,
)
from tests.ranking.papers import NOW, TODAY, paper

BASE = paper("2509.10000", "A paper", "An abstract.", upvotes=100)


def test_trending_score_follows_the_documented_formula() -> None:
    candidate = replace(BASE, num_comments=5, upvote_velocity=2.0, github_stars=999)
    age_days = paper_age_hours(candidate, NOW) / 24
    points = 100 + 2 * 5 + 6 * 2.0 + 5 * math.log(1000)
    assert trending_points(candidate) == pytest.approx(points)
    assert trending_score(candidate, NOW) == pytest.approx(points / (age_days + 1) ** GRAVITY)


def test_age_is_counted_from_the_featured_day_then_publication_then_zero() -> None:
    assert paper_age_hours(BASE, NOW) == pytest.approx(12.0)
    published = replace(BASE, featured_on=None, published_at=NOW - timedelta(hours=30))
    assert paper_age_hours(published, NOW) == pytest.approx(30.0)
    assert paper_age_hours(replace(BASE, featured_on=None), NOW) == 0.0


def test_a_day_old_paper_needs_more_upvotes_than_a_fresh_one() -> None:
    yesterday = replace(BASE, featured_on=TODAY - timedelta(days=1), upvotes=150)
    assert trending_score(yesterday, NOW) < trending_score(BASE, NOW)


def test_faster_rising_paper_wins_at_equal_upvotes() -> None:
    rising = replace(BASE, upvote_velocity=10.0)
    assert trending_score(rising, NOW) > trending_score(BASE, NOW)


def test_github_stars_are_a_logarithmic_bonus_not_the_ranking() -> None:
    famous_repo = replace(BASE, upvotes=20, github_stars=50_000)
    assert trending_score(famous_repo, NOW) < trending_score(BASE, NOW)
    assert trending_score(replace(BASE, github_stars=10), NOW) > trending_score(BASE, NOW)


def test_normalised_trending_is_within_zero_and_one_and_ranks_start_at_one() -> None:
    papers = [BASE, replace(BASE, upvotes=0), replace(BASE, upvotes=500)]
    raw, normalised = trending_scores(papers, NOW)
    assert normalised.max() == pytest.approx(1.0)
    assert normalised.min() == pytest.approx(0.0)
    assert trending_ranks(raw).tolist() == [2, 3, 1]
