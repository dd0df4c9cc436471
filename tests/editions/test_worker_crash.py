"""Real Celery workers on Redis and PostgreSQL: fan-out, a SIGKILL mid-send, recovery.

The guarantee under test (see app/editions/__init__.py): no delivery is lost,
and the only duplicates are messages the SMTP server accepted from the killed
worker whose outcome was not yet recorded — at most ``send_batch_size`` per
killed worker process.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest
import redis
from celery import Celery
from sqlalchemy import Engine

from app.db import make_session_factory, transaction
from app.editions.recovery import recover_deliveries
from app.editions.service import edition_progress, send_edition
from app.models import EditionStatus
from tests.conftest import truncate_all
from tests.editions.builders import DAY, add_papers, add_subscriber, settings_for
from tests.smtp_server import SMTPTestServer

ROOT = Path(__file__).resolve().parents[2]
# The celery of the venv running these tests (another checkout's may lack a dependency).
CELERY = Path(sys.executable).parent / "celery"
READERS = 300
BATCH = 10
CONCURRENCY = 2

pytestmark = pytest.mark.celery


@pytest.fixture
def pg(postgresql_engine: Engine) -> Iterator[Engine]:
    truncate_all(postgresql_engine)
    yield postgresql_engine
    truncate_all(postgresql_engine)


def _worker(env: dict[str, str], name: str, log: BinaryIO) -> subprocess.Popen[bytes]:
    celery = str(CELERY) if CELERY.exists() else "celery"
    return subprocess.Popen(
        [
            celery,
            "-A",
            "workers.celery_app",
            "worker",
            "--pool",
            "prefork",
            "-c",
            str(CONCURRENCY),
            "-n",
            f"{name}@%h",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: SIGKILL reaches master and children
    )


def _kill(worker: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, sig)
    worker.wait(timeout=30)


def test_sigkill_mid_send_loses_nothing_and_duplicates_stay_within_the_bound(
    pg: Engine, smtp_server: SMTPTestServer, redis_url: str, tmp_path: Path
) -> None:
    redis.Redis.from_url(redis_url).flushdb()
    lease = 4
    settings = settings_for(
        tmp_path,
        pg,
        mail_url=smtp_server.url,
        broker_url=redis_url,
        delivery_lease_seconds=lease,
        send_chunk_size=50,
        send_batch_size=BATCH,
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PAPERBOY_BROKER_URL": redis_url,
        "PAPERBOY_DATABASE_URL": settings.database_url,
        "PAPERBOY_MAIL_URL": smtp_server.url,
        "PAPERBOY_SECRET_KEY": settings.secret_key,
        "PAPERBOY_BASE_URL": settings.base_url,
        "PAPERBOY_FROM_ADDRESS": settings.from_address,
        "PAPERBOY_VAR_DIR": str(tmp_path / "var"),
        "PAPERBOY_DELIVERY_LEASE_SECONDS": str(lease),
        "PAPERBOY_SEND_CHUNK_SIZE": "50",
        "PAPERBOY_SEND_BATCH_SIZE": str(BATCH),
    }
    broker = Celery("paperboy-test", broker=redis_url)
    broker.conf.broker_connection_retry_on_startup = True

    def enqueue(edition_id: int, ids: list[int]) -> None:
        broker.send_task("editions.send_chunk", args=[edition_id, ids])

    factory = make_session_factory(pg)
    with transaction(factory) as session:
        add_papers(session)
        for n in range(READERS):
            add_subscriber(
                session, f"reader{n:03d}@example.org", interests="" if n % 5 else "GUI agents"
            )
    smtp_server.faults.data_delay_seconds = 0.01  # slow enough for the kill to land mid-send
    log = tmp_path / "worker.log"
    log_file = log.open("ab")
    first = _worker(env, "first", log_file)
    second: subprocess.Popen[bytes] | None = None
    try:
        with transaction(factory) as session:
            edition, chunks = send_edition(
                session, edition_date=DAY, settings=settings, enqueue=enqueue
            )
        assert sum(len(c) for c in chunks) == READERS
        # Kill once 80 messages are out and a batch is claimed but not yet recorded,
        # so the kill lands with deliveries in flight (checked just before it).
        deadline = time.monotonic() + 90
        while True:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            if len(smtp_server.messages) >= 80:
                with transaction(factory) as session:
                    if edition_progress(session, edition_id=edition.id).sending > 0:
                        break
            time.sleep(0.01)
        _kill(first, signal.SIGKILL)
        received_at_kill = len(smtp_server.messages)
        assert received_at_kill < READERS, "the kill came too late to test anything"

        second = _worker(env, "second", log_file)
        deadline = time.monotonic() + 120
        while True:
            with transaction(factory) as session:
                recover_deliveries(session, settings=settings, enqueue=enqueue)
            with transaction(factory) as session:
                progress = edition_progress(session, edition_id=edition.id)
            if progress.status == EditionStatus.FINISHED:
                break
            assert time.monotonic() < deadline, (progress, log.read_text()[-3000:])
            time.sleep(1.0)
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                _kill(worker, signal.SIGTERM)
        log_file.close()

    assert (progress.sent, progress.failed, progress.bounced) == (READERS, 0, 0)
    received = Counter(r for m in smtp_server.messages for r in m.recipients)
    assert len(received) == READERS  # nobody lost
    duplicates = sum(count - 1 for count in received.values())
    assert duplicates <= BATCH * CONCURRENCY, received.most_common(5)
    print(f"\nreceived {received_at_kill} before the kill; {duplicates} duplicates after recovery")
