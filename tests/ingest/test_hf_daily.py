"""The Daily Papers source: pagination, malformed responses, and the HTML fallback."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from app.ingest.errors import FetchError, SourceUnreachable
from app.ingest.http import HttpFetcher
from app.ingest.progress import NO_PROGRESS
from app.ingest.sources.hf_daily import HFDailySource
from app.ingest.sources.hf_page import daily_papers_from_html
from tests.ingest.conftest import (
    API_URL,
    PAGE_URL,
    RecordedWeb,
    daily_papers_api,
    fixture_json,
    fixture_text,
)

DAY = date(2025, 9, 15)


def test_pages_are_read_until_an_empty_page(web: RecordedWeb, hf_source: HFDailySource) -> None:
    web.routes[API_URL] = daily_papers_api({DAY: fixture_json("daily_2025-09-15.json")})

    batch = hf_source.fetch_day(DAY, progress=NO_PROGRESS)

    assert [p.arxiv_id for p in batch.papers] == ["2509.00101", "2509.00102", "2509.00104"]
    pages = [r.url.params["p"] for r in web.requests_to(API_URL)]
    assert pages == ["0", "1", "2"]  # page size 2: two full-ish pages, then an empty one
    assert all(r.url.params["date"] == "2025-09-15" for r in web.requests_to(API_URL))


def test_a_day_without_papers_is_an_empty_batch(web: RecordedWeb, hf_source: HFDailySource) -> None:
    web.routes[API_URL] = daily_papers_api({})

    batch = hf_source.fetch_day(date(2025, 9, 13), progress=NO_PROGRESS)

    assert batch.papers == []
    assert len(web.requests_to(API_URL)) == 1


def test_an_api_that_ignores_the_page_number_does_not_loop_forever(
    web: RecordedWeb, hf_source: HFDailySource
) -> None:
    items = fixture_json("daily_2025-09-15.json")[:2]
    web.routes[API_URL] = lambda request: httpx.Response(200, json=items)

    batch = hf_source.fetch_day(DAY, progress=NO_PROGRESS)

    assert len(batch.papers) == 2
    assert len(web.requests_to(API_URL)) == 2


def test_malformed_json_falls_back_to_the_papers_page(
    web: RecordedWeb, hf_source: HFDailySource
) -> None:
    web.routes[API_URL] = lambda request: httpx.Response(200, text='[{"paper": {"id": ')
    web.routes[f"{PAGE_URL}/date/2025-09-15"] = lambda request: httpx.Response(
        200, text=fixture_text("papers_page.html")
    )

    batch = hf_source.fetch_day(DAY, progress=NO_PROGRESS)

    # The page also shows another day's paper (it redirects for empty days): not ours.
    assert [(p.arxiv_id, p.title) for p in batch.papers] == [("2509.00106", "Scraped & Sound")]
    assert "malformed JSON" in batch.notes[0]


def test_when_api_and_page_both_fail_the_error_names_both(
    web: RecordedWeb, hf_source: HFDailySource
) -> None:
    web.routes[API_URL] = lambda request: httpx.Response(500)
    web.routes[PAGE_URL] = lambda request: httpx.Response(200, text="<html>maintenance</html>")

    with pytest.raises(FetchError, match=r"HTTP 500.*papers page failed too"):
        hf_source.fetch_day(DAY, progress=NO_PROGRESS)


def test_an_unreachable_hub_fails_without_trying_the_page(
    web: RecordedWeb, hf_source: HFDailySource
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused")

    web.routes[API_URL] = refuse

    with pytest.raises(SourceUnreachable):
        hf_source.fetch_day(DAY, progress=NO_PROGRESS)
    assert web.requests_to(PAGE_URL) == []


def test_a_broken_item_in_the_response_is_skipped_and_counted(
    web: RecordedWeb, hf_source: HFDailySource
) -> None:
    web.routes[API_URL] = daily_papers_api(
        {date(2025, 9, 16): fixture_json("daily_2025-09-16_with_broken.json")}
    )

    batch = hf_source.fetch_day(date(2025, 9, 16), progress=NO_PROGRESS)

    assert [p.arxiv_id for p in batch.papers] == ["2509.00105", "2509.00101"]
    assert len(batch.skipped) == 4


def test_items_without_a_featured_time_count_as_featured_on_the_day_asked(
    web: RecordedWeb, hf_source: HFDailySource
) -> None:
    web.routes[API_URL] = daily_papers_api({DAY: [{"paper": {"id": "2509.00400", "title": "T"}}]})

    (paper,) = hf_source.fetch_day(DAY, progress=NO_PROGRESS).papers

    assert paper.featured_on == DAY


def test_the_hf_token_is_sent_to_hugging_face(web: RecordedWeb, fetcher: HttpFetcher) -> None:
    web.routes[API_URL] = daily_papers_api({})
    source = HFDailySource(fetcher, api_url=API_URL, page_url=PAGE_URL, token="hf_secret")

    source.fetch_day(DAY, progress=NO_PROGRESS)

    assert web.requests[0].headers["Authorization"] == "Bearer hf_secret"


def test_the_page_reader_needs_the_daily_papers_block() -> None:
    with pytest.raises(FetchError, match="no DailyPapers data"):
        daily_papers_from_html("<html><div data-target='Other' data-props='{}'></div></html>")
    with pytest.raises(FetchError, match="not JSON"):
        daily_papers_from_html('<div data-target="DailyPapers" data-props="{oops"></div>')
