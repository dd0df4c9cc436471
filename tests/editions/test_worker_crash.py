"""Real Celery workers on Redis and PostgreSQL: SIGKILLs and a database outage mid-send.

The guarantee under test (see app/editions/__init__.py): no delivery is lost,
and the only duplicates are messages that were on the wire (or accepted and not
yet recorded, ``send_record_every - 1``) when a worker process was killed; a
database outage is waited out with nothing lost.
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
from sqlalchemy import Engine, select

from app.db import make_session_factory, transaction
from app.editions.progress import edition_progress
from app.editions.recovery import recover_deliveries
from app.editions.service import open_edition
from app.models import Edition, EditionStatus, Subscriber, SubscriberStatus
from tests.factories import DAY, add_papers, celery_worker_command, settings_for, truncate_all
from tests.smtp_server import SMTPTestServer
from tests.tcp_proxy import TCPProxy

ROOT = Path(__file__).resolve().parents[2]
READERS = 4000
CONCURRENCY = 2

pytestmark = pytest.mark.celery


@pytest.fixture
def pg(postgresql_engine: Engine) -> Iterator[Engine]:
    truncate_all(postgresql_engine)
    yield postgresql_engine
    truncate_all(postgresql_engine)


def _worker(env: dict[str, str], name: str, log: BinaryIO) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        celery_worker_command("--pool", "prefork", "-c", str(CONCURRENCY), "-n", f"{name}@%h"),
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


def _readers(engine: Engine) -> None:
    with transaction(make_session_factory(engine)) as session:
        add_papers(session)
        session.execute(
            Subscriber.__table__.insert(),
            [
                {
                    "email": f"reader{n:04d}@example.org",
                    "interests": "" if n % 5 else "GUI agents",
                    "status": SubscriberStatus.ACTIVE,
                }
                for n in range(READERS)
            ],
        )


def _environment(
    database_url: str, redis_url: str, smtp: SMTPTestServer, tmp: Path
) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PAPERBOY_BROKER_URL": redis_url,
        "PAPERBOY_DATABASE_URL": database_url,
        "PAPERBOY_MAIL_URL": smtp.url,
        "PAPERBOY_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "PAPERBOY_BASE_URL": "http://testserver",
        "PAPERBOY_FROM_ADDRESS": "Paperboy <digest@paperboy.test>",
        "PAPERBOY_VAR_DIR": str(tmp / "var"),
        "PAPERBOY_DELIVERY_LEASE_SECONDS": "5",
        "PAPERBOY_SEND_CHUNK_SIZE": "200",
    }


def _duplicates(smtp: SMTPTestServer) -> tuple[int, Counter[str]]:
    received = Counter(r for m in smtp.messages for r in m.recipients)
    return sum(count - 1 for count in received.values()), received


def test_three_sigkills_mid_send_lose_nothing_and_resend_only_what_was_on_the_wire(
    pg: Engine, smtp_server: SMTPTestServer, redis_url: str, tmp_path: Path
) -> None:
    redis.Redis.from_url(redis_url).flushdb()
    url = pg.url.render_as_string(hide_password=False)
    env = _environment(url, redis_url, smtp_server, tmp_path)
    settings = settings_for(
        tmp_path, pg, mail_url=smtp_server.url, broker_url=redis_url, delivery_lease_seconds=5
    )
    _readers(pg)
    factory = make_session_factory(pg)
    log = tmp_path / "worker.log"
    log_file = log.open("ab")
    workers = [_worker(env, "first", log_file)]
    kills = 0
    try:
        with transaction(factory) as session:
            edition, chunks = open_edition(
                session, edition_date=DAY, settings=settings, enqueue=True
            )
        assert sum(len(c) for c in chunks) == READERS
        deadline = time.monotonic() + 300
        while True:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            with transaction(factory) as session:
                progress = edition_progress(session, edition_id=edition.id)
            if progress.finished:
                break
            # Kill at 800, 1600 and 2400 digests out, with deliveries in flight.
            due = kills < 3 and len(smtp_server.messages) >= 800 * (kills + 1)
            if due and progress.counts.sending > 0:
                _kill(workers[-1], signal.SIGKILL)
                kills += 1
                workers.append(_worker(env, f"after-kill-{kills}", log_file))
            with transaction(factory) as session:
                recover_deliveries(session, settings=settings, enqueue=True)
            time.sleep(0.2)
    finally:
        for worker in workers:
            if worker.poll() is None:
                _kill(worker, signal.SIGKILL)  # nothing may outlive the test
        log_file.close()

    assert kills == 3, "the send finished before three kills could land"
    assert (progress.counts.sent, progress.counts.failed, progress.counts.bounced) == (
        READERS,
        0,
        0,
    )
    duplicates, received = _duplicates(smtp_server)
    assert len(received) == READERS  # nobody lost
    assert duplicates <= 15, received.most_common(5)
    print(f"\n3 kills over {READERS} deliveries: {duplicates} duplicates")


def test_a_database_outage_mid_send_is_waited_out(
    pg: Engine, smtp_server: SMTPTestServer, redis_url: str, tmp_path: Path
) -> None:
    redis.Redis.from_url(redis_url).flushdb()
    _readers(pg)
    proxy = TCPProxy((pg.url.host or "127.0.0.1", pg.url.port or 5432))
    through_proxy = pg.url.set(port=proxy.port).render_as_string(hide_password=False)
    env = _environment(through_proxy, redis_url, smtp_server, tmp_path)
    log = tmp_path / "worker.log"
    log_file = log.open("ab")
    worker = _worker(env, "patient", log_file)
    paperboy = Path(sys.executable).parent / "paperboy"
    send = subprocess.Popen(
        [str(paperboy), "send", "--date", DAY.isoformat()],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while len(smtp_server.messages) < 1500:
            assert send.poll() is None, send.communicate()[0][-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.05)
        proxy.cut()  # PostgreSQL is gone for every client of this send...
        time.sleep(10)
        proxy.restore()  # ...and back ten seconds later
        back_at = time.monotonic()
        output, _ = send.communicate(timeout=240)
        finished_after = time.monotonic() - back_at
    finally:
        if send.poll() is None:
            send.kill()
        if worker.poll() is None:
            _kill(worker, signal.SIGKILL)  # nothing may outlive the test
        log_file.close()
        proxy.close()

    assert send.returncode == 0, output[-3000:]
    assert finished_after <= 60, (finished_after, output[-2000:])
    with transaction(make_session_factory(pg)) as session:
        [edition_id] = session.scalars(select(Edition.id)).all()
        progress = edition_progress(session, edition_id=edition_id)
    assert progress.status == EditionStatus.FINISHED
    assert progress.counts.sent == READERS
    duplicates, received = _duplicates(smtp_server)
    assert len(received) == READERS  # nobody lost
    assert duplicates <= 5, received.most_common(5)
    assert "database unavailable" in log.read_text() + output
