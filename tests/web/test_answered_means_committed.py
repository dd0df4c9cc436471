"""Answered means committed: a SIGKILL right after a 200 loses nothing.

A real uvicorn process on a real SQLite file. Every commit is slowed down (a
slow disk), so if the response left before the commit — as it does when a
yield dependency commits after the response is sent — the kill lands in
between and the acknowledged one-click unsubscribe is lost.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.db import make_engine, make_session_factory, transaction
from app.migrations import upgrade_database
from app.models import Subscriber, SubscriberStatus
from tests.factories import TEST_SECRET, add_subscriber
from tests.web.pages import links_of, path_of

ROOT = Path(__file__).resolve().parents[2]
READERS = 20
SLOW_COMMIT_SECONDS = 0.3

# The server under test, with every commit slowed down (fault injection, not app code).
# Importing the app takes seconds on a busy machine, so a parent imports it once and
# forks a fresh server process for each round; the test SIGKILLs that process.
SERVER = f"""
import os, signal, sys, time
from sqlalchemy import event
from sqlalchemy.orm import Session

@event.listens_for(Session, "before_commit")
def _slow_disk(session):
    time.sleep({SLOW_COMMIT_SECONDS})

import uvicorn
from app.web.asgi import app

signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # killed servers are reaped at once
for line in sys.stdin:
    port = int(line)
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
        os._exit(0)
    print(pid, flush=True)
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'paperboy.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def forking_server(database: Engine, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PAPERBOY_DATABASE_URL": database.url.render_as_string(hide_password=False),
        "PAPERBOY_SECRET_KEY": TEST_SECRET,
        "PAPERBOY_BASE_URL": "http://testserver",
        "PAPERBOY_VAR_DIR": str(tmp_path / "var"),
        "PAPERBOY_MAIL_URL": f"file://{tmp_path / 'outbox'}",
        "PAPERBOY_FROM_ADDRESS": "Paperboy <digest@paperboy.test>",
    }
    for name in ("PAPERBOY_BROKER_URL", "PAPERBOY_REDIS_URL"):
        env.pop(name, None)
    with (tmp_path / "server.log").open("ab") as log:
        parent = subprocess.Popen(
            [sys.executable, "-c", SERVER],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            yield parent
        finally:
            assert parent.stdin is not None and parent.stdout is not None
            parent.stdin.close()
            parent.wait(timeout=30)
            parent.stdout.close()


def _start(parent: subprocess.Popen[str], tmp_path: Path) -> tuple[int, int]:
    """A fresh server process: (its pid, its port) once it answers."""
    assert parent.stdin is not None and parent.stdout is not None
    port = _free_port()
    parent.stdin.write(f"{port}\n")
    parent.stdin.flush()
    pid = int(parent.stdout.readline() or 0)
    assert pid, (tmp_path / "server.log").read_text()[-3000:]
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200:
                return pid, port
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()[-3000:]
        time.sleep(0.05)


def test_acknowledged_one_click_unsubscribes_survive_a_sigkill_after_each_200(
    database: Engine, forking_server: subprocess.Popen[str], tmp_path: Path
) -> None:
    emails = [f"reader{n:02d}@example.org" for n in range(READERS)]
    with transaction(make_session_factory(database)) as session:
        for address in emails:
            add_subscriber(session, address)
    paths = [path_of(links_of(database, address).unsubscribe) for address in emails]

    acknowledged = 0
    for path in paths:
        pid, port = _start(forking_server, tmp_path)
        try:
            # One-click (RFC 8058): a POST with this body and nothing else.
            answer = httpx.post(
                f"http://127.0.0.1:{port}{path}",
                content=b"List-Unsubscribe=One-Click",
                headers={"content-type": "application/x-www-form-urlencoded"},
                timeout=30,
            )
            assert answer.status_code == 200
            acknowledged += 1
        finally:
            os.kill(pid, signal.SIGKILL)  # right after the 200, before anything else

    with Session(database) as session:
        still_active = session.scalars(
            select(Subscriber.email).where(Subscriber.status != SubscriberStatus.UNSUBSCRIBED)
        ).all()
    assert acknowledged == READERS
    assert still_active == [], f"{len(still_active)} of {READERS} acknowledged unsubscribes lost"
