"""arXiv's one request per 3 s: in-process with a fake clock, across workers through Redis."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import redis

from app.ingest.spacing import IntervalSpacer, RedisRequestSpacer, arxiv_spacer
from tests.factories import make_test_settings
from tests.ingest.conftest import FakeTime


def test_the_first_request_goes_at_once_and_the_next_waits_out_the_interval(
    fake_time: FakeTime,
) -> None:
    limiter = IntervalSpacer(3.0, clock=fake_time.clock, sleep=fake_time.sleep)

    waits = [limiter.wait(), limiter.wait(), limiter.wait()]

    assert waits == [0.0, 3.0, 3.0]
    assert fake_time.sleeps == [3.0, 3.0]


def test_time_already_passed_counts_towards_the_interval(fake_time: FakeTime) -> None:
    limiter = IntervalSpacer(3.0, clock=fake_time.clock, sleep=fake_time.sleep)

    limiter.wait()
    fake_time.now += 2.0  # two seconds of other work
    assert limiter.wait() == 1.0
    fake_time.now += 10.0
    assert limiter.wait() == 0.0


def test_workers_sharing_redis_take_turns(redis_url: str) -> None:
    client: redis.Redis[bytes] = redis.Redis.from_url(redis_url)
    key = f"test:ratelimit:{uuid.uuid4().hex}"
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)  # Redis expires the slot in real time (a fraction of a second here)

    first_worker = RedisRequestSpacer(client, key=key, interval=0.3, sleep=sleep)
    second_worker = RedisRequestSpacer(client, key=key, interval=0.3, sleep=sleep)
    try:
        started = time.monotonic()
        assert first_worker.wait() == 0.0
        waited = second_worker.wait()
        elapsed = time.monotonic() - started
    finally:
        client.delete(key)
        client.close()

    assert 0.2 < waited <= 0.35
    assert elapsed >= 0.29
    assert sleeps and all(s <= 0.3 for s in sleeps)


def test_the_limiter_uses_redis_when_configured_and_one_per_process_otherwise(
    tmp_path: Path, redis_url: str
) -> None:
    embedded = make_test_settings(tmp_path)
    distributed = make_test_settings(tmp_path, redis_url=redis_url)

    assert arxiv_spacer(embedded) is arxiv_spacer(embedded)
    assert isinstance(arxiv_spacer(distributed), RedisRequestSpacer)
