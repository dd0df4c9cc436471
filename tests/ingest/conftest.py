"""Recorded responses (our own, shaped like the real APIs) and fake time for ingest tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.ingest.http import HttpFetcher, RetryPolicy, make_client
from app.ingest.sources.arxiv import ArxivClient
from app.ingest.sources.hf_daily import HFDailySource

FIXTURES = Path(__file__).parent / "fixtures"
API_URL = "https://hf.test/api/daily_papers"
PAGE_URL = "https://hf.test/papers"
ARXIV_URL = "https://arxiv.test/api/query"


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def fixture_json(name: str) -> Any:
    return json.loads(fixture_text(name))


@dataclass
class FakeTime:
    """A clock that only moves when someone sleeps: retries and limits without waiting."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class RecordedWeb:
    """Serves recorded responses by URL path and remembers every request."""

    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for prefix, handler in self.routes.items():
            if str(request.url).startswith(prefix):
                return handler(request)
        return httpx.Response(404, text="not recorded")

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def requests_to(self, prefix: str) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url).startswith(prefix)]


def daily_papers_api(days: dict[date, list[Any]]) -> Handler:
    """The Daily Papers API: the day's items one page at a time, then an empty page."""

    def handler(request: httpx.Request) -> httpx.Response:
        day = date.fromisoformat(request.url.params["date"])
        page, limit = int(request.url.params.get("p", 0)), int(request.url.params["limit"])
        items = days.get(day, [])
        return httpx.Response(200, json=items[page * limit : (page + 1) * limit])

    return handler


def arxiv_api(body: str) -> Handler:
    return lambda request: httpx.Response(
        200, text=body, headers={"Content-Type": "application/atom+xml"}
    )


@pytest.fixture
def web() -> RecordedWeb:
    return RecordedWeb()


@pytest.fixture
def fetcher(web: RecordedWeb, settings: Settings, fake_time: FakeTime) -> Iterator[HttpFetcher]:
    with make_client(settings, transport=web.transport()) as client:
        yield HttpFetcher(client, RetryPolicy(), sleep=fake_time.sleep, clock=fake_time.clock)


@pytest.fixture
def hf_source(fetcher: HttpFetcher) -> HFDailySource:
    return HFDailySource(fetcher, api_url=API_URL, page_url=PAGE_URL, page_size=2)


class CountingLimiter:
    """A rate limiter that records how often a request had to wait for a slot."""

    def __init__(self) -> None:
        self.calls = 0

    def wait(self) -> float:
        self.calls += 1
        return 0.0


@pytest.fixture
def limiter() -> CountingLimiter:
    return CountingLimiter()


@pytest.fixture
def enricher(fetcher: HttpFetcher, limiter: CountingLimiter) -> ArxivClient:
    return ArxivClient(fetcher, limiter, api_url=ARXIV_URL)
