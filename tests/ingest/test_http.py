"""Retries: 429 and 5xx back off (honouring Retry-After), unreachable hosts fail at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from app.config import Settings
from app.ingest.errors import FetchError, SourceUnreachable
from app.ingest.http import HttpFetcher, RetryPolicy, make_client, retry_after_seconds
from tests.ingest.conftest import FakeTime

URL = "https://api.test/things"


def _fetcher(
    settings: Settings,
    fake_time: FakeTime,
    responses: Iterator[httpx.Response | Exception],
    policy: RetryPolicy | None = None,
) -> HttpFetcher:
    def handler(request: httpx.Request) -> httpx.Response:
        outcome = next(responses)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    client = make_client(settings, transport=httpx.MockTransport(handler))
    return HttpFetcher(client, policy, sleep=fake_time.sleep, clock=fake_time.clock)


def test_a_429_waits_as_long_as_retry_after_says_then_succeeds(
    settings: Settings, fake_time: FakeTime
) -> None:
    fetcher = _fetcher(
        settings,
        fake_time,
        iter([httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json=[])]),
    )

    assert fetcher.get(URL).json() == []
    assert fake_time.sleeps == [7.0]


def test_a_503_is_retried_with_exponential_backoff(settings: Settings, fake_time: FakeTime) -> None:
    fetcher = _fetcher(
        settings,
        fake_time,
        iter([httpx.Response(503), httpx.Response(502), httpx.Response(200, text="ok")]),
        RetryPolicy(base_delay=2.0),
    )

    assert fetcher.get(URL).text == "ok"
    assert fake_time.sleeps == [2.0, 4.0]


def test_a_timeout_is_retried(settings: Settings, fake_time: FakeTime) -> None:
    fetcher = _fetcher(
        settings,
        fake_time,
        iter([httpx.ReadTimeout("slow"), httpx.Response(200, text="ok")]),
    )

    assert fetcher.get(URL).text == "ok"
    assert len(fake_time.sleeps) == 1


def test_retrying_stops_within_the_total_time_budget(
    settings: Settings, fake_time: FakeTime
) -> None:
    fetcher = _fetcher(
        settings,
        fake_time,
        iter([httpx.Response(503)] * 20),
        RetryPolicy(attempts=20, base_delay=10.0, max_total=60.0),
    )

    with pytest.raises(FetchError, match="giving up"):
        fetcher.get(URL)
    assert sum(fake_time.sleeps) <= 60.0
    assert fake_time.sleeps == [10.0, 20.0]  # a third wait (40 s) would pass the budget


def test_a_retry_after_beyond_the_budget_gives_up_at_once(
    settings: Settings, fake_time: FakeTime
) -> None:
    fetcher = _fetcher(
        settings,
        fake_time,
        iter([httpx.Response(429, headers={"Retry-After": "3600"})]),
        RetryPolicy(max_total=120.0),
    )

    with pytest.raises(FetchError, match="HTTP 429"):
        fetcher.get(URL)
    assert fake_time.sleeps == []


def test_an_unreachable_host_fails_fast_without_retrying(
    settings: Settings, fake_time: FakeTime
) -> None:
    fetcher = _fetcher(settings, fake_time, iter([httpx.ConnectError("Name or service unknown")]))

    with pytest.raises(SourceUnreachable, match=r"cannot reach api\.test"):
        fetcher.get(URL)
    assert fake_time.sleeps == []


def test_a_404_is_not_retried(settings: Settings, fake_time: FakeTime) -> None:
    fetcher = _fetcher(settings, fake_time, iter([httpx.Response(404)]))

    with pytest.raises(FetchError, match="HTTP 404"):
        fetcher.get(URL)
    assert fake_time.sleeps == []


def test_requests_carry_a_descriptive_user_agent(settings: Settings) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    with make_client(settings, transport=httpx.MockTransport(handler)) as client:
        HttpFetcher(client).get(URL)

    assert seen[0].headers["User-Agent"].startswith("Paperboy/")
    assert settings.base_url in seen[0].headers["User-Agent"]


def test_retry_after_may_be_an_http_date_or_a_ratelimit_reset() -> None:
    now = datetime(2025, 9, 15, 12, 0, 0, tzinfo=UTC)
    dated = httpx.Response(503, headers={"Retry-After": "Mon, 15 Sep 2025 12:00:30 GMT"})
    ratelimited = httpx.Response(429, headers={"RateLimit": '"api";r=0;t=42'})

    assert retry_after_seconds(dated, now=now) == 30.0
    assert retry_after_seconds(ratelimited) == 42.0
    assert retry_after_seconds(httpx.Response(503)) is None
