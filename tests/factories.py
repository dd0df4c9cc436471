"""Builders shared by the whole suite: settings, rows, and what a test reads back.

Fixtures live in the ``conftest.py`` files; everything a test module imports
by name lives here, so no test imports a conftest.
"""

from __future__ import annotations

import base64
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import Base
from app.models import Frequency, Paper, PaperFeature, Subscriber, SubscriberStatus
from tests.smtp_server import ReceivedMessage, SMTPTestServer

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
OFFLINE_ARXIV_URL = "http://127.0.0.1:9/api/query"


def make_test_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings for a test: its own var dir and outbox, a fixed secret, no broker."""
    values: dict[str, object] = {
        "var_dir": tmp_path / "var",
        "secret_key": TEST_SECRET,
        "base_url": "http://testserver",
        "from_address": "Paperboy <digest@paperboy.test>",
        "broker_url": None,
        # No test reaches arXiv: a job a request enqueues (papers a reader brings) finds
        # nothing listening here and leaves the ids waiting, as when offline.
        "arxiv_api_url": OFFLINE_ARXIV_URL,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def truncate_all(engine: Engine) -> None:
    """Empty every table (for tests whose work must really commit)."""
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


DAY = date(2025, 11, 27)  # a Thursday

TITLES = [
    "Speculative Decoding with Draft Trees for Faster LLM Inference",
    "GUI Agents that Learn from Screenshots",
    "<script>alert(1)</script>",
    "Scaling Laws for Mixture-of-Experts Vision Transformers",
    "Diffusion Policies for Robot Manipulation",
    "Long-Context Retrieval with Learned Sparse Attention",
    "A Benchmark for Multilingual Code Generation",
    "Reward Models that Explain Themselves",
    "Efficient Fine-Tuning with Low-Rank Adapters at Scale",
    "Video Generation with Consistent Characters",
]


def add_papers(session: Session, day: date = DAY, count: int = 10) -> list[Paper]:
    papers = []
    for n in range(count):
        paper = Paper(
            arxiv_id=f"2511.{20000 + n}",
            title=TITLES[n % len(TITLES)],
            abstract=(
                f"We study problem {n} in depth. Our method improves results by a wide margin "
                "on standard benchmarks. Code and models are released."
            ),
            authors=["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"][: 1 + n % 4],
            organization="Example Lab" if n % 2 else None,
            published_at=datetime(2025, 11, 26, tzinfo=UTC),
            upvotes=100 - n * 7,
            github_repo=f"https://github.com/example/repo{n}" if n % 3 == 0 else None,
            github_stars=1234 if n % 3 == 0 else None,
            project_page="https://example.org/project" if n == 1 else None,
            ai_summary="A short summary & a <b>bold</b> claim." if n == 4 else None,
            pdf_url=f"https://arxiv.org/pdf/2511.{20000 + n}",
        )
        session.add(paper)
        session.flush()
        session.add(PaperFeature(paper_id=paper.id, featured_on=day))
        papers.append(paper)
    session.flush()
    return papers


def add_subscriber(
    session: Session,
    email: str,
    *,
    interests: str = "speculative decoding, GUI agents",
    status: SubscriberStatus = SubscriberStatus.ACTIVE,
    frequency: Frequency = Frequency.DAILY,
    weekly_day: int = 0,
    send_hour: int = 7,
    timezone: str = "UTC",
) -> Subscriber:
    subscriber = Subscriber(
        email=email,
        interests=interests,
        status=status,
        frequency=frequency,
        weekly_day=weekly_day,
        send_hour=send_hour,
        timezone=timezone,
    )
    session.add(subscriber)
    session.flush()
    return subscriber


def settings_for(tmp_path: Path, engine: Engine, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": engine.url.render_as_string(hide_password=False),
        "delivery_retry_base_seconds": 0.01,
        "postal_address": "Paperboy, 1 Example Street, 1000 Example City",
    }
    values.update(overrides)
    return make_test_settings(tmp_path, **values)


# The celery of the venv running these tests (another checkout's may lack a dependency).
CELERY = Path(sys.executable).parent / "celery"


def celery_worker_command(*options: str) -> list[str]:
    """``celery worker`` of Paperboy's app, logging at INFO and not talking to other workers
    (no gossip, mingle or heartbeat), with ``options`` (pool, queue, node name) added."""
    celery = str(CELERY) if CELERY.exists() else "celery"
    return [
        celery,
        "-A",
        "workers.celery_app",
        "worker",
        *options,
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]


def first_digest(
    engine: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> tuple[Settings, sessionmaker[Session], int, ReceivedMessage]:
    """Papers of DAY, one reader, their edition sent through ``smtp_server``: the
    settings, sessions, the reader's id and the mail they got."""
    from app.db import make_session_factory, transaction
    from app.editions.running import send_edition

    settings = settings_for(tmp_path, engine, mail_url=smtp_server.url)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        add_papers(session)
        reader_id = add_subscriber(session, "reader@example.org").id
    send_edition(settings, factory, edition_date=DAY)
    [received] = smtp_server.messages_to("reader@example.org")
    return settings, factory, reader_id, received


def queued_jobs(redis_url: str, queue: str = "celery") -> list[tuple[str, list[Any]]]:
    """(job name, args) of every message waiting in ``queue`` on the broker, oldest first."""
    client = redis.Redis.from_url(redis_url)
    try:
        raw = client.lrange(queue, 0, -1)
    finally:
        client.close()
    jobs = []
    for item in reversed(raw):  # kombu pushes on the left, workers pop on the right
        message = json.loads(item)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        jobs.append((message["headers"]["task"], args))
    return jobs


def clear_queue(redis_url: str, queue: str = "celery") -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        client.delete(queue)
    finally:
        client.close()
