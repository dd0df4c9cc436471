"""Rate limits count hits per key and window, in memory or in Redis."""

from __future__ import annotations

import uuid

import pytest

from app.subscriptions.ratelimit import (
    MemoryRateLimiter,
    NoRateLimit,
    RateLimiter,
    RedisRateLimiter,
    rate_limiter_for,
)


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest) -> RateLimiter:
    if request.param == "memory":
        return MemoryRateLimiter()
    return RedisRateLimiter(request.getfixturevalue("redis_url"), prefix=f"test:{uuid.uuid4()}:")


def test_hits_within_the_limit_are_allowed_then_refused(limiter: RateLimiter) -> None:
    results = [limiter.hit("ip:1", limit=3, window_seconds=60) for _ in range(4)]
    assert results[:3] == [None, None, None]
    assert results[3] is not None and 0 < results[3] <= 60


def test_keys_are_counted_separately(limiter: RateLimiter) -> None:
    assert limiter.hit("ip:1", limit=1, window_seconds=60) is None
    assert limiter.hit("ip:2", limit=1, window_seconds=60) is None


def test_the_setting_turns_limits_off_or_picks_redis(redis_url: str) -> None:
    assert isinstance(rate_limiter_for(enabled=False, redis_url=redis_url), NoRateLimit)
    assert isinstance(rate_limiter_for(enabled=True, redis_url=redis_url), RedisRateLimiter)
    assert isinstance(rate_limiter_for(enabled=True, redis_url=None), MemoryRateLimiter)


def test_an_unreachable_redis_fails_open() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0")
    assert limiter.hit("ip:1", limit=0, window_seconds=60) is None


def test_asking_whether_a_key_is_blocked_counts_no_hit(limiter: RateLimiter) -> None:
    for _ in range(10):
        assert limiter.blocked("ip:1", limit=2, window_seconds=60) is None
    assert limiter.hit("ip:1", limit=2, window_seconds=60) is None
    assert limiter.hit("ip:1", limit=2, window_seconds=60) is None
    assert limiter.blocked("ip:1", limit=2, window_seconds=60) is None
    assert limiter.hit("ip:1", limit=2, window_seconds=60) is not None
    wait = limiter.blocked("ip:1", limit=2, window_seconds=60)
    assert wait is not None and 0 < wait <= 60
    assert limiter.blocked("ip:2", limit=2, window_seconds=60) is None


def test_no_limit_and_an_unreachable_redis_block_nothing() -> None:
    assert NoRateLimit().blocked("ip:1", limit=0, window_seconds=60) is None
    assert (
        RedisRateLimiter("redis://127.0.0.1:1/0").blocked("ip:1", limit=0, window_seconds=60)
        is None
    )
