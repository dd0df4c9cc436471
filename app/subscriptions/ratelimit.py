"""Fixed-window rate limits: in Redis when configured (shared by every process), else in memory.

A limit is "at most ``limit`` hits per ``window_seconds`` for ``key``". The
window is fixed (aligned to multiples of its length), which is cheap and good
enough to stop a script while letting a person retry a few times.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from typing import Protocol

import redis

log = logging.getLogger(__name__)
# The clock the windows are counted on (tests hold it still: a run of hits that crossed
# a window's end would start counting again).
clock = time.time


def client_network(address: str) -> str:
    """What counts as one client in a per-client limit: an IPv4 address, or an IPv6 /64.

    One IPv6 host is usually handed a whole /64, so counting single IPv6 addresses
    would give it billions of fresh ones (and, through them, a fresh limit per request).
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class RateLimiter(Protocol):
    def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        """Count one hit; ``None`` when allowed, else seconds until the window resets."""

    def blocked(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        """Like ``hit`` for a hit that is not counted: is ``key`` already over ``limit``?

        For limits on failures (sign-ins), where only a failure counts but every
        attempt must first ask whether it may be made at all.
        """


class NoRateLimit:
    """Rate limiting turned off (``PAPERBOY_RATE_LIMIT_ENABLED=false``)."""

    def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        return None

    def blocked(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        return None


class MemoryRateLimiter:
    """Per-process counters (embedded mode: one process serves everything)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        now = clock()
        window = int(now // window_seconds)
        with self._lock:
            if len(self._counts) > 100_000:
                # Drop windows that are over so memory stays bounded.
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= window}
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
        return _retry_after(count, limit, window, window_seconds, now)

    def blocked(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        now = clock()
        window = int(now // window_seconds)
        with self._lock:
            count = self._counts.get((key, window), 0)
        return _retry_after(count, limit, window, window_seconds, now)


class RedisRateLimiter:
    """Counters in Redis (INCR + EXPIRE), shared by every web process and worker."""

    def __init__(self, url: str, prefix: str = "paperboy:ratelimit:") -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=2)
        self._prefix = prefix

    def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        now = clock()
        window = int(now // window_seconds)
        redis_key = f"{self._prefix}{key}:{window}"
        pipeline = self._client.pipeline()
        pipeline.incr(redis_key)
        pipeline.expire(redis_key, window_seconds + 1)
        try:
            count, _ = pipeline.execute()
        except redis.RedisError as error:
            # Fail open: a Redis outage must not take the subscribe form down with it.
            log.warning("rate limiter unavailable, allowing %s: %s", key, error)
            return None
        return _retry_after(int(count), limit, window, window_seconds, now)

    def blocked(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        now = clock()
        window = int(now // window_seconds)
        try:
            count = self._client.get(f"{self._prefix}{key}:{window}")
        except redis.RedisError as error:
            log.warning("rate limiter unavailable, allowing %s: %s", key, error)
            return None
        return _retry_after(int(count or 0), limit, window, window_seconds, now)

    def close(self) -> None:
        self._client.close()


def _retry_after(
    count: int, limit: int, window: int, window_seconds: int, now: float
) -> int | None:
    if count > limit:
        return max(1, int((window + 1) * window_seconds - now))
    return None


def rate_limiter_for(*, enabled: bool, redis_url: str | None) -> RateLimiter:
    """The limiter the settings ask for."""
    if not enabled:
        return NoRateLimit()
    if redis_url:
        return RedisRateLimiter(redis_url)
    return MemoryRateLimiter()
