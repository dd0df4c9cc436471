"""Request spacing: at most one request per interval to a host, across threads or workers.

Not to be confused with the subscribe rate limits (app/subscriptions/ratelimit.py),
which count attempts per client; this spaces our own outgoing requests.

arXiv asks for one request every 3 seconds from everyone at one address. With a
Redis URL configured (distributed mode) the workers share a slot key in Redis:
``SET key NX PX=interval`` succeeds for one caller per interval, the others wait
for the key's remaining time to live. Without Redis (embedded mode) one process
does all the work and a lock plus a timestamp is enough.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Protocol

import redis

from app.config import Settings
from app.ingest.http import Clock, Sleep

ARXIV_KEY = "paperboy:ratelimit:arxiv"


class RequestSpacer(Protocol):
    def wait(self) -> float:
        """Block until the caller may send one request; return the seconds waited."""
        ...


class IntervalSpacer:
    """In-process limiter: the next slot is ``interval`` after the previous one."""

    def __init__(
        self, interval: float, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot: float | None = None

    def wait(self) -> float:
        # Holding the lock while sleeping queues the other threads behind us,
        # which is exactly the serialisation we want.
        with self._lock:
            now = self._clock()
            waited = 0.0
            if self._next_slot is not None and now < self._next_slot:
                waited = self._next_slot - now
                self._sleep(waited)
                now = self._next_slot
            self._next_slot = now + self.interval
            return waited


class RedisRequestSpacer:
    """Cross-worker limiter: one Redis key that lives for ``interval`` marks a taken slot."""

    def __init__(
        self,
        client: redis.Redis[bytes],
        *,
        key: str,
        interval: float,
        sleep: Sleep = time.sleep,
        max_wait: float = 600.0,
    ) -> None:
        self.interval = interval
        self._client = client
        self._key = key
        self._sleep = sleep
        self._max_wait = max_wait
        self._token = uuid.uuid4().hex

    def wait(self) -> float:
        waited = 0.0
        interval_ms = max(1, round(self.interval * 1000))
        while not self._client.set(self._key, self._token, nx=True, px=interval_ms):
            ttl_ms = int(self._client.pttl(self._key))
            if ttl_ms == -1:
                # A key without expiry (set by hand?) would block us forever.
                self._client.pexpire(self._key, interval_ms)
                ttl_ms = interval_ms
            delay = max(ttl_ms, 5) / 1000
            if waited + delay > self._max_wait:
                raise TimeoutError(f"rate limit slot {self._key} not free after {waited:.0f}s")
            self._sleep(delay)
            waited += delay
        return waited


_process_limiters: dict[tuple[str, float], IntervalSpacer] = {}
_process_lock = threading.Lock()


def arxiv_spacer(settings: Settings) -> RequestSpacer:
    """The limiter for arXiv calls: shared through Redis if configured, else process-wide."""
    interval = settings.arxiv_min_interval_seconds
    if settings.redis_url:
        client = redis.Redis.from_url(settings.redis_url)
        return RedisRequestSpacer(client, key=ARXIV_KEY, interval=interval)
    with _process_lock:
        # One limiter per process, so concurrent threads share arXiv's budget.
        return _process_limiters.setdefault((ARXIV_KEY, interval), IntervalSpacer(interval))
