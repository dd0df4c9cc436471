"""HTTP for the ingest: one polite client and a retry loop with a bounded total time.

Retries cover what is worth retrying: 429 and 5xx responses (honouring
``Retry-After`` and, failing that, the ``RateLimit`` header Hugging Face sends),
timeouts and dropped connections. A host that cannot be reached at all (no
network, DNS failure, connection refused) fails at once, so ``paperboy ingest``
with no network says so in a second instead of backing off for minutes.

The transport, the sleep and the clock are injectable: tests use
``httpx.MockTransport`` and a fake clock, and never wait.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from app.config import Settings
from app.ingest.errors import FetchError, SourceUnreachable

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
Clock = Callable[[], float]

_RATELIMIT_RESET_RE = re.compile(r"\bt=(\d+)")


def user_agent(settings: Settings) -> str:
    """A User-Agent that says who we are and where to look (APIs ask for one)."""
    return f"Paperboy/0.1 (self-hosted digest of ML papers; +{settings.base_url}) httpx"


def make_client(
    settings: Settings, *, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    """An httpx client with our timeouts and User-Agent (the HF token is per request)."""
    headers = {"User-Agent": user_agent(settings)}
    timeout = httpx.Timeout(
        settings.http_timeout_seconds, connect=min(10.0, settings.http_timeout_seconds)
    )
    return httpx.Client(
        headers=headers, timeout=timeout, transport=transport, follow_redirects=True
    )


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry one request."""

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_total: float = 120.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(max_total=settings.http_max_total_seconds)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff for the ``attempt``-th retry (1-based)."""
        return float(min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def retry_after_seconds(response: httpx.Response, *, now: datetime | None = None) -> float | None:
    """The wait a 429/503 asks for: ``Retry-After`` (seconds or a date), else ``RateLimit t=``."""
    value = response.headers.get("Retry-After")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    ratelimit = response.headers.get("RateLimit")
    if ratelimit and (match := _RATELIMIT_RESET_RE.search(ratelimit)):
        return float(match.group(1))
    return None


class HttpFetcher:
    """GET with retries: what every source uses to talk to the outside world."""

    def __init__(
        self,
        client: httpx.Client,
        policy: RetryPolicy | None = None,
        *,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        self.client = client
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        before_each: Callable[[], object] | None = None,
    ) -> httpx.Response:
        """The 2xx response for ``url``, or ``FetchError`` saying why there is none.

        ``before_each`` runs before every attempt (the arXiv rate limiter).
        """
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            if before_each is not None:
                before_each()
            try:
                response = self.client.get(url, params=params, headers=headers)
            except httpx.ConnectError as error:
                raise SourceUnreachable(f"cannot reach {_host(url)} ({error})") from error
            except httpx.TransportError as error:
                # Timeouts, resets, protocol errors: transient, worth another try.
                problem = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
                delay = self.policy.backoff(attempt)
            else:
                if response.is_success:
                    return response
                if response.status_code != 429 and response.status_code < 500:
                    raise FetchError(f"{_describe(response)} from {response.request.url}")
                problem = _describe(response)
                asked = retry_after_seconds(response)
                delay = asked if asked is not None else self.policy.backoff(attempt)
            elapsed = self._clock() - started
            if attempt >= self.policy.attempts or elapsed + delay > self.policy.max_total:
                raise FetchError(
                    f"giving up on {url} after {attempt} attempt(s) in {elapsed:.0f}s "
                    f"(last: {problem}; next retry would wait {delay:.0f}s)"
                )
            log.warning("GET %s: %s; retrying in %.1fs", url, problem, delay)
            self._sleep(delay)


def _describe(response: httpx.Response) -> str:
    return f"HTTP {response.status_code} {response.reason_phrase}".strip()


def _host(url: str) -> str:
    return httpx.URL(url).host or url
