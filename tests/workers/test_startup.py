"""A real Celery worker checks its database at start: a wrong URL stops it, an outage does not.

An orchestrator's health check is ``celery inspect ping``; a worker that answered it
while every task failed on a database that does not exist looked healthy for ever.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from sqlalchemy import make_url

from tests.conftest import PG_URL
from tests.factories import TEST_SECRET, celery_worker_command

ROOT = Path(__file__).resolve().parents[2]
# A queue no task is ever sent to: the worker under test takes nothing from other tests.
QUEUE = "paperboy-startup-test"
NODE = f"startup-{os.getpid()}@{socket.gethostname()}"

pytestmark = pytest.mark.celery


def _start_worker(database_url: str, redis_url: str, tmp_path: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PAPERBOY_BROKER_URL": redis_url,
        "PAPERBOY_DATABASE_URL": database_url,
        "PAPERBOY_SECRET_KEY": TEST_SECRET,
        "PAPERBOY_VAR_DIR": str(tmp_path / "var"),
    }
    return subprocess.Popen(
        celery_worker_command("--pool", "solo", "-Q", QUEUE, "-n", NODE),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


@pytest.fixture
def started(redis_url: str, tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    workers: list[subprocess.Popen[str]] = []
    yield workers
    for worker in workers:  # nothing may outlive the test
        if worker.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)


def _real_server(
    *, database: str | None = None, username: str | None = None, port: int | None = None
) -> str:
    """The test PostgreSQL's URL with another database, role or port."""
    url = make_url(PG_URL).set(database=database, username=username, port=port)
    return url.render_as_string(hide_password=False)


@pytest.mark.parametrize("what", ["database", "role"])
def test_a_worker_pointed_at_a_database_or_role_that_does_not_exist_exits_at_start(
    what: str, started: list[subprocess.Popen[str]], redis_url: str, tmp_path: Path
) -> None:
    name = f"paperboy_no_such_{what}"
    url = _real_server(database=name) if what == "database" else _real_server(username=name)
    worker = _start_worker(url, redis_url, tmp_path)
    started.append(worker)

    try:
        output, _ = worker.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("the worker still runs a minute after it started: it serves, on a wrong URL")

    assert worker.returncode == os.EX_CONFIG, output[-3000:]
    [line] = [line for line in output.splitlines() if "worker not started" in line]
    assert "PAPERBOY_DATABASE_URL" in line
    assert f'{what} "paperboy_no_such_{what}" does not exist' in line
    assert " ready." not in output  # it never took the broker's connection


def test_a_worker_whose_database_does_not_answer_yet_starts_and_answers_ping(
    started: list[subprocess.Popen[str]], redis_url: str, tmp_path: Path
) -> None:
    # Nothing listens on port 1: refused, as a PostgreSQL still starting up would be.
    worker = _start_worker(_real_server(port=1), redis_url, tmp_path)
    started.append(worker)
    client = Celery("startup-test", broker=redis_url)

    deadline = time.monotonic() + 60
    replies: list[dict[str, Any]] | None = None
    while not replies:
        assert worker.poll() is None, worker.communicate()[0][-3000:]
        assert time.monotonic() < deadline, "the worker never answered ping"
        replies = client.control.ping(destination=[NODE])
    os.killpg(worker.pid, signal.SIGTERM)
    output, _ = worker.communicate(timeout=30)

    assert "does not answer yet" in output
    assert "worker not started" not in output
