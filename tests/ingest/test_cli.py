"""``paperboy ingest`` and ``paperboy papers`` end to end, on PostgreSQL and SQLite."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.models.ingest_run import IngestRun
from app.models.paper import Paper
from tests.ingest.conftest import FIXTURES

PAPERS_FIELDS = {
    "arxiv_id",
    "title",
    "abstract",
    "authors",
    "organization",
    "published_at",
    "featured_on",
    "upvotes",
    "github_repo",
    "github_stars",
    "ai_summary",
    "ai_keywords",
    "categories",
    "pdf_url",
    "hf_url",
}


@pytest.fixture
def runner(
    clean_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    """A CLI runner whose environment points Paperboy at the test database, offline."""
    monkeypatch.setenv("PAPERBOY_DATABASE_URL", clean_db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PAPERBOY_VAR_DIR", str(tmp_path / "var"))
    # A closed local port: "no network" without touching the network.
    monkeypatch.setenv("PAPERBOY_HF_API_URL", "http://127.0.0.1:9/api/daily_papers")
    monkeypatch.setenv("PAPERBOY_ARXIV_API_URL", "http://127.0.0.1:9/api/query")
    for name in ("PAPERBOY_BROKER_URL", "PAPERBOY_REDIS_URL", "PAPERBOY_HF_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _count(engine: Engine, model: type[object]) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_ingesting_files_then_listing_a_day_shows_clean_normalised_papers(
    runner: CliRunner, clean_db: Engine
) -> None:
    result = runner.invoke(
        cli,
        [
            "ingest",
            "--file",
            str(FIXTURES / "daily_2025-09-15.json"),
            str(FIXTURES / "daily_2025-09-16_with_broken.json"),
            "--no-enrich",
        ],
    )

    assert result.exit_code == 0, result.output
    assert "fetched 9, new 4, updated 0, skipped 4, enriched 0" in result.stdout
    assert "skipped 2509.00199" not in result.stdout  # items are named with their file
    assert "daily_2025-09-16_with_broken.json: 2509.00199: no title" in result.stdout

    listing = runner.invoke(cli, ["papers", "--date", "2025-09-15", "--json"])

    assert listing.exit_code == 0, listing.output
    papers = json.loads(listing.stdout)
    assert [p["arxiv_id"] for p in papers] == ["2509.00101", "2509.00104", "2509.00102"]
    assert all(set(p) >= PAPERS_FIELDS for p in papers)
    top = papers[0]
    assert top["title"] == "Sparse Mixtures of Tiny Experts: Routing <b>Without</b> Tears"
    assert top["published_at"] == "2025-09-11T17:59:58+00:00"
    assert top["featured_on"] == "2025-09-15"
    assert top["authors"] == ["Ada Example", "Bo Sample"]
    assert top["hf_url"] == "https://huggingface.co/papers/2509.00101"


def test_ingesting_the_same_file_twice_adds_nothing(runner: CliRunner, clean_db: Engine) -> None:
    args = ["ingest", "--file", str(FIXTURES / "daily_2025-09-15.json"), "--no-enrich"]
    runner.invoke(cli, args)

    again = runner.invoke(cli, args)

    assert again.exit_code == 0, again.output
    assert "new 0, updated 0" in again.stdout
    assert _count(clean_db, Paper) == 3


def test_a_file_that_cannot_be_parsed_fails_with_one_line_and_stores_nothing(
    runner: CliRunner, clean_db: Engine, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("<html>not json</html>")

    result = runner.invoke(
        cli, ["ingest", "--file", str(FIXTURES / "daily_2025-09-15.json"), str(broken)]
    )

    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "broken.json: not valid JSON" in result.stderr
    assert _count(clean_db, Paper) == 0


def test_without_network_a_live_ingest_fails_fast_and_changes_nothing(
    runner: CliRunner, clean_db: Engine
) -> None:
    result = runner.invoke(cli, ["ingest", "--date", "2025-09-15"])

    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("paperboy: could not ingest papers for 2025-09-15: cannot reach")
    assert _count(clean_db, Paper) == 0
    assert _count(clean_db, IngestRun) == 0


def test_ingest_needs_either_a_date_or_files(runner: CliRunner) -> None:
    neither = runner.invoke(cli, ["ingest"])
    both = runner.invoke(cli, ["ingest", "--date", "2025-09-15", "--file", "x.json"])

    assert neither.exit_code == 2
    assert both.exit_code == 2
    assert "either --date" in neither.output


def test_a_day_without_papers_lists_an_empty_array(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["papers", "--date", "2025-09-13", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
