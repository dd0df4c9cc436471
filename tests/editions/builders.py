"""Rows for edition and mailer tests: papers featured on a day, subscribers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.config import Settings
from app.models import Frequency, Paper, PaperFeature, Subscriber, SubscriberStatus
from tests.conftest import make_test_settings

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
