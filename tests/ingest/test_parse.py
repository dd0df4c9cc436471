"""The Daily Papers parser: tolerant of schema drift, strict about ids, titles and times."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from app.ingest.parse import (
    DumpFileError,
    ParsedPaper,
    load_daily_papers_file,
    parse_daily_papers,
)
from tests.ingest.conftest import FIXTURES, fixture_json


def _by_id(items: list[object]) -> dict[str, ParsedPaper]:
    return {p.arxiv_id: p for p in parse_daily_papers(items).papers}


def test_a_rich_item_keeps_everything_users_see() -> None:
    paper = _by_id(fixture_json("daily_2025-09-15.json"))["2509.00101"]

    assert paper.title == "Sparse Mixtures of Tiny Experts: Routing <b>Without</b> Tears"
    assert paper.abstract == "We study tiny experts. They route tokens without tears & scale well."
    assert paper.authors == ["Ada Example", "Bo Sample"]  # the hidden author is not listed
    assert paper.organization == "Example Lab"
    assert paper.upvotes == 42
    assert paper.num_comments == 3
    assert paper.github_repo == "https://github.com/example/tiny-experts"
    assert paper.github_stars == 1234
    assert paper.project_page == "https://example.org/tiny-experts"
    assert paper.ai_summary == "Tiny experts route tokens cheaply."
    assert paper.ai_keywords == ["mixture of experts", "routing", "sparse models"]
    assert paper.hf_url == "https://huggingface.co/papers/2509.00101"


def test_published_at_is_the_papers_utc_date_not_the_new_york_top_level_one() -> None:
    paper = _by_id(fixture_json("daily_2025-09-15.json"))["2509.00101"]

    assert paper.published_at == datetime(2025, 9, 11, 17, 59, 58, tzinfo=UTC)
    assert paper.featured_on == date(2025, 9, 15)


def test_featured_day_is_the_utc_date_of_submitted_on_daily_at() -> None:
    item = {
        "paper": {
            "id": "2509.00300",
            "title": "Late",
            "publishedAt": "2025-09-14T22:00:00-04:00",
            "submittedOnDailyAt": "2025-09-15T23:59:59.000Z",
        },
        "publishedAt": "2025-09-16T02:00:00.000Z",
    }
    (paper,) = parse_daily_papers([item]).papers

    assert paper.featured_on == date(2025, 9, 15)
    assert paper.published_at == datetime(2025, 9, 15, 2, 0, tzinfo=UTC)


def test_a_sparse_item_gets_empty_optional_fields() -> None:
    paper = _by_id(fixture_json("daily_2025-09-15.json"))["2509.00102"]

    assert paper.authors == []
    assert paper.upvotes == 0
    assert paper.github_repo is None
    assert paper.github_stars is None
    assert paper.ai_summary is None
    assert paper.ai_keywords == []
    assert paper.organization is None


def test_the_older_schema_with_media_url_and_no_ai_fields_parses() -> None:
    result = parse_daily_papers(fixture_json("daily_older_schema.json"))

    assert result.skipped == []
    (paper,) = result.papers
    assert paper.arxiv_id == "2405.00103"
    assert paper.title == "An Older Schema Paper"
    assert paper.featured_on == date(2024, 5, 2)
    assert paper.ai_keywords == []


def test_unknown_keys_are_ignored_and_a_wrongly_typed_optional_value_is_dropped() -> None:
    paper = _by_id(fixture_json("daily_2025-09-15.json"))["2509.00104"]  # "v3" stripped

    assert paper.title == "A Paper With New Keys"
    assert paper.github_stars is None  # was "lots"
    assert paper.upvotes == 5


def test_broken_items_are_skipped_with_a_reason_and_the_good_ones_kept() -> None:
    result = parse_daily_papers(fixture_json("daily_2025-09-16_with_broken.json"))

    assert [p.arxiv_id for p in result.papers] == ["2509.00105", "2509.00101"]
    assert [(s.item, s.reason) for s in result.skipped] == [
        ("item 1", "no arXiv id"),
        ("not-an-arxiv-id", "malformed arXiv id 'not-an-arxiv-id'"),
        ("item 3", "not a JSON object"),
        ("2509.00199", "no title"),
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2509.00101", "2509.00101"),
        ("2509.00101v12", "2509.00101"),
        ("0704.0001", "0704.0001"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("math.AG/0601001", "math.AG/0601001"),
    ],
)
def test_new_and_old_style_arxiv_ids_are_accepted_without_version(raw: str, expected: str) -> None:
    (paper,) = parse_daily_papers([{"paper": {"id": raw, "title": "T"}}]).papers
    assert paper.arxiv_id == expected


@pytest.mark.parametrize("raw", ["25090.0101", "2509.101", "arxiv", "../2509.00101", ""])
def test_malformed_ids_are_skipped(raw: str) -> None:
    result = parse_daily_papers([{"paper": {"id": raw, "title": "T"}}])
    assert result.papers == []
    assert len(result.skipped) == 1


def test_a_dump_file_that_is_not_json_is_an_error_for_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[{"paper": ')

    with pytest.raises(DumpFileError, match="not valid JSON"):
        load_daily_papers_file(path)


def test_a_dump_file_that_is_not_an_array_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "object.json"
    path.write_text('{"paper": {}}')

    with pytest.raises(DumpFileError, match="JSON array"):
        load_daily_papers_file(path)


def test_a_missing_dump_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DumpFileError, match="cannot be read"):
        load_daily_papers_file(tmp_path / "absent.json")


def test_a_dump_file_parses_like_the_api() -> None:
    result = load_daily_papers_file(FIXTURES / "daily_2025-09-15.json")
    assert {p.arxiv_id for p in result.papers} == {"2509.00101", "2509.00102", "2509.00104"}


def test_an_impossible_v1_date_is_dropped_rather_than_stored() -> None:
    # Seen in real data: a September 2025 paper "published" in April 2026.
    impossible = {
        "paper": {
            "id": "2509.00500",
            "title": "From The Future",
            "publishedAt": "2026-04-08T00:00:00.000Z",
            "submittedOnDailyAt": "2025-09-15T00:00:00.000Z",
        }
    }
    # Held in moderation, or submitted on a weekend: earlier than the id's month is fine.
    early = {
        "paper": {
            "id": "2509.00501",
            "title": "Submitted On A Saturday",
            "publishedAt": "2025-08-30T06:02:56.000Z",
            "submittedOnDailyAt": "2025-09-02T00:00:00.000Z",
        }
    }

    papers = _by_id([impossible, early])

    assert papers["2509.00500"].published_at is None
    assert papers["2509.00500"].featured_on == date(2025, 9, 15)
    assert papers["2509.00501"].published_at == datetime(2025, 8, 30, 6, 2, 56, tzinfo=UTC)
