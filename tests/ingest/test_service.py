"""The ingest flows against PostgreSQL and SQLite: upsert, featured days, snapshots, runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.ingest.errors import DumpFileError, SourceUnreachable
from app.ingest.http import HttpFetcher
from app.ingest.papers import featured_papers, paper_as_json
from app.ingest.parse import parse_daily_papers
from app.ingest.service import ingest_batch, ingest_date, ingest_files
from app.ingest.sources import SourceBatch
from app.ingest.sources.arxiv import ArxivClient
from app.ingest.sources.arxiv_feed import ArxivListingSource
from app.ingest.sources.hf_daily import HFDailySource
from app.models.ingest_run import IngestRun, IngestRunStatus
from app.models.paper import Paper, PaperFeature, PaperSnapshot
from tests.ingest.conftest import (
    API_URL,
    ARXIV_URL,
    FIXTURES,
    CountingLimiter,
    RecordedWeb,
    arxiv_api,
    daily_papers_api,
    fixture_json,
    fixture_text,
)

MONDAY, TUESDAY = date(2025, 9, 15), date(2025, 9, 16)


def _count(session: Session, model: type[object]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def live_days(web: RecordedWeb) -> None:
    web.routes[API_URL] = daily_papers_api(
        {
            MONDAY: fixture_json("daily_2025-09-15.json"),
            TUESDAY: fixture_json("daily_2025-09-16_with_broken.json"),
        }
    )
    web.routes[ARXIV_URL] = arxiv_api(fixture_text("arxiv_query.xml"))


@pytest.mark.usefixtures("live_days")
def test_a_day_is_fetched_enriched_and_stored(
    session: Session, hf_source: HFDailySource, enricher: ArxivClient
) -> None:
    summary = ingest_date(session, day=MONDAY, sources=[hf_source], enricher=enricher)

    assert (summary.fetched, summary.new, summary.updated) == (3, 3, 0)
    assert summary.enriched == 2  # arXiv knows two of the three
    assert summary.skipped == []
    rows = {
        p.arxiv_id: paper_as_json(p, featured_on=f) for p, f in featured_papers(session, day=MONDAY)
    }
    assert set(rows) == {"2509.00101", "2509.00102", "2509.00104"}
    rich = rows["2509.00101"]
    assert rich["title"] == "Sparse Mixtures of Tiny Experts: Routing <b>Without</b> Tears"
    assert rich["published_at"] == "2025-09-11T17:59:58+00:00"
    assert rich["featured_on"] == "2025-09-15"
    assert rich["categories"] == ["cs.LG", "cs.CL"]
    assert rich["pdf_url"] == "https://arxiv.org/pdf/2509.00101"
    assert rich["upvotes"] == 42
    assert rows["2509.00104"]["categories"] == []


@pytest.mark.usefixtures("live_days")
def test_running_the_same_day_again_adds_nothing_but_a_snapshot_per_paper(
    session: Session, hf_source: HFDailySource, enricher: ArxivClient, web: RecordedWeb
) -> None:
    ingest_date(session, day=MONDAY, sources=[hf_source], enricher=enricher)
    arxiv_calls = len(web.requests_to(ARXIV_URL))

    again = ingest_date(session, day=MONDAY, sources=[hf_source], enricher=enricher)

    assert (again.new, again.updated) == (0, 0)
    assert _count(session, Paper) == 3
    assert _count(session, PaperFeature) == 3
    assert _count(session, PaperSnapshot) == 6  # one per paper per fetch
    # Only the paper arXiv did not know is asked about again.
    assert len(web.requests_to(ARXIV_URL)) == arxiv_calls + 1
    assert web.requests_to(ARXIV_URL)[-1].url.params["id_list"] == "2509.00104"


@pytest.mark.usefixtures("live_days")
def test_a_paper_featured_on_two_days_is_one_paper_with_two_featured_days(
    session: Session, hf_source: HFDailySource
) -> None:
    ingest_date(session, day=MONDAY, sources=[hf_source], enricher=None)
    tuesday = ingest_date(session, day=TUESDAY, sources=[hf_source], enricher=None)

    assert (tuesday.new, tuesday.updated) == (1, 1)  # 2509.00105 new; 2509.00101 got upvotes
    paper = session.scalars(select(Paper).where(Paper.arxiv_id == "2509.00101")).one()
    days = session.scalars(
        select(PaperFeature.featured_on).where(PaperFeature.paper_id == paper.id)
    ).all()
    assert sorted(days) == [MONDAY, TUESDAY]
    assert paper.upvotes == 50
    upvotes = session.scalars(
        select(PaperSnapshot.upvotes)
        .where(PaperSnapshot.paper_id == paper.id)
        .order_by(PaperSnapshot.fetched_at)
    ).all()
    assert upvotes == [42, 50]


@pytest.mark.usefixtures("live_days")
def test_skipped_items_are_counted_and_recorded_on_the_run(
    session: Session, hf_source: HFDailySource
) -> None:
    summary = ingest_date(session, day=TUESDAY, sources=[hf_source], enricher=None)

    assert summary.fetched == 6
    assert len(summary.skipped) == 4
    run = session.get(IngestRun, summary.run_ids[0])
    assert run is not None
    assert run.status is IngestRunStatus.SUCCEEDED
    assert (run.fetched, run.new, run.skipped) == (6, 2, 4)
    assert run.target_date == TUESDAY
    assert run.finished_at is not None
    assert {"item": "2509.00199", "reason": "no title"} in run.skipped_items


def test_a_failed_fetch_changes_nothing(
    session: Session, hf_source: HFDailySource, web: RecordedWeb
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Network is unreachable")

    web.routes[API_URL] = refuse

    with pytest.raises(SourceUnreachable):
        ingest_date(session, day=MONDAY, sources=[hf_source], enricher=None)
    assert _count(session, Paper) == 0
    assert _count(session, IngestRun) == 0


@pytest.mark.usefixtures("live_days")
def test_papers_are_stored_even_when_arxiv_is_down(
    session: Session, hf_source: HFDailySource, enricher: ArxivClient, web: RecordedWeb
) -> None:
    web.routes[ARXIV_URL] = lambda request: httpx.Response(404)

    summary = ingest_date(session, day=MONDAY, sources=[hf_source], enricher=enricher)

    assert summary.new == 3
    assert summary.enriched == 0
    assert "arXiv enrichment failed" in summary.notes[0]
    assert session.scalars(select(Paper.enriched_at)).all() == [None, None, None]


def test_files_load_like_the_api_and_reloading_writes_nothing(session: Session) -> None:
    files = [FIXTURES / "daily_2025-09-15.json", FIXTURES / "daily_2025-09-16_with_broken.json"]

    first = ingest_files(session, paths=files, enricher=None)
    again = ingest_files(session, paths=files, enricher=None)

    assert (first.fetched, first.new, len(first.skipped)) == (9, 4, 4)
    assert first.skipped[0].item == "daily_2025-09-16_with_broken.json: item 1"
    assert (again.new, again.updated) == (0, 0)
    assert _count(session, Paper) == 4
    assert _count(session, PaperFeature) == 5  # 2509.00101 on both days
    assert _count(session, PaperSnapshot) == 4  # a file re-read is not a new observation


def test_an_unreadable_file_among_good_ones_stores_nothing(
    session: Session, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{")

    with pytest.raises(DumpFileError):
        ingest_files(session, paths=[FIXTURES / "daily_2025-09-15.json", broken], enricher=None)
    assert _count(session, Paper) == 0


def test_an_empty_value_in_a_later_response_does_not_erase_a_stored_one(
    session: Session,
) -> None:
    ingest_files(session, paths=[FIXTURES / "daily_2025-09-15.json"], enricher=None)
    sparse = parse_daily_papers(
        [{"paper": {"id": "2509.00101", "title": "Sparse Mixtures of Tiny Experts", "upvotes": 60}}]
    )

    ingest_batch(
        session,
        batch=SourceBatch("hf_daily", sparse.papers),
        target_date=None,
        enricher=None,
        snapshots="always",
    )

    paper = session.scalars(select(Paper).where(Paper.arxiv_id == "2509.00101")).one()
    session.refresh(paper)
    assert paper.title == "Sparse Mixtures of Tiny Experts"
    assert paper.upvotes == 60
    assert paper.ai_summary == "Tiny experts route tokens cheaply."
    assert paper.github_repo == "https://github.com/example/tiny-experts"


@pytest.mark.usefixtures("live_days")
def test_feed_papers_never_overwrite_daily_papers_counts(
    session: Session,
    hf_source: HFDailySource,
    web: RecordedWeb,
    fetcher: HttpFetcher,
    limiter: CountingLimiter,
) -> None:
    web.routes["https://rss.test/rss/"] = lambda request: httpx.Response(
        200, text=fixture_text("arxiv_listing.rss")
    )
    feed = ArxivListingSource(
        fetcher,
        limiter,
        feed_url="https://rss.test/rss",
        categories=["cs.LG"],
    )

    summary = ingest_date(session, day=MONDAY, sources=[feed, hf_source], enricher=None)

    assert len(summary.run_ids) == 2
    rich = session.scalars(select(Paper).where(Paper.arxiv_id == "2509.00101")).one()
    listed = session.scalars(select(Paper).where(Paper.arxiv_id == "2509.00201")).one()
    assert rich.upvotes == 42
    assert listed.upvotes == 0
    assert {p.arxiv_id for p, _ in featured_papers(session, day=MONDAY)} == {
        "2509.00101",
        "2509.00102",
        "2509.00104",
    }
