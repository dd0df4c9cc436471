"""arXiv enrichment (batched, rate limited) and the arXiv listing feed source."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx

from app.ingest.http import HttpFetcher
from app.ingest.progress import NO_PROGRESS
from app.ingest.sources.arxiv import ArxivClient, parse_arxiv_atom
from app.ingest.sources.arxiv_feed import ArxivListingSource
from tests.ingest.conftest import (
    ARXIV_URL,
    CountingLimiter,
    RecordedWeb,
    arxiv_api,
    fixture_text,
)


def test_an_arxiv_answer_gives_categories_comment_pdf_and_v1_date() -> None:
    records = {r.arxiv_id: r for r in parse_arxiv_atom(fixture_text("arxiv_query.xml"))}

    record = records["2509.00101"]
    assert record.categories == ["cs.LG", "cs.CL"]
    assert record.primary_category == "cs.LG"
    assert record.comment == "12 pages, 4 figures"
    assert record.pdf_url == "https://arxiv.org/pdf/2509.00101"
    assert record.published_at == datetime(2025, 9, 11, 17, 59, 58, tzinfo=UTC)
    assert set(records) == {"2509.00101", "2509.00102"}  # the error entry is not a paper


def test_ids_are_looked_up_in_batches_of_at_most_100_each_waiting_for_the_limiter(
    web: RecordedWeb, enricher: ArxivClient, limiter: CountingLimiter
) -> None:
    web.routes[ARXIV_URL] = arxiv_api(fixture_text("arxiv_query.xml"))
    ids = [f"2509.{n:05d}" for n in range(100, 350)]

    records = enricher.lookup(ids, progress=NO_PROGRESS)

    calls = web.requests_to(ARXIV_URL)
    assert [len(c.url.params["id_list"].split(",")) for c in calls] == [100, 100, 50]
    assert limiter.calls == 3
    assert set(records) == {"2509.00101", "2509.00102"}


def test_a_retried_arxiv_call_waits_for_the_limiter_again(
    web: RecordedWeb, enricher: ArxivClient, limiter: CountingLimiter
) -> None:
    answers = iter([httpx.Response(503), httpx.Response(200, text=fixture_text("arxiv_query.xml"))])
    web.routes[ARXIV_URL] = lambda request: next(answers)

    enricher.lookup(["2509.00101"], progress=NO_PROGRESS)

    assert limiter.calls == 2


def test_the_listing_feed_gives_unfeatured_papers_with_clean_abstracts(
    web: RecordedWeb, fetcher: HttpFetcher, limiter: CountingLimiter
) -> None:
    web.routes["https://rss.test/rss/"] = lambda request: httpx.Response(
        200, text=fixture_text("arxiv_listing.rss")
    )
    source = ArxivListingSource(
        fetcher, limiter, feed_url="https://rss.test/rss", categories=["cs.LG", "cs.CL"]
    )

    batch = source.fetch_day(date(2025, 9, 15), progress=NO_PROGRESS)

    assert [p.arxiv_id for p in batch.papers] == ["2509.00201", "2509.00101"]  # deduplicated
    first = batch.papers[0]
    assert first.abstract == "We list things."
    assert first.authors == ["Gil Feed", "Hana Feed"]
    assert first.featured_on is None
    assert batch.observes_counts is False
    assert [s.reason for s in batch.skipped] == ["no title", "no title"]  # once per category
    assert limiter.calls == 2
