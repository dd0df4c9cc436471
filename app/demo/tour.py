"""The demo's steps: load the shipped papers, add the example readers, send their edition.

Every step can run again: papers are upserted, known readers are left alone, and an
edition already sent is not sent twice. The demo refuses a database that has readers
of its own, since it sends the edition to every active subscriber.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.ingest.service import IngestSummary, ingest_files
from app.models import Subscriber
from app.resources import demo_sample
from app.subscriptions.importing import ImportReport, import_rows

EDITION_DATE = date(2025, 11, 27)
SOURCE = "demo"


@dataclass(frozen=True)
class DemoReader:
    email: str
    interests: str
    topics: str  # separated by ";", as in a CSV import


READERS = (
    DemoReader("ada@example.org", "speculative decoding, faster LLM inference", "llm;efficiency"),
    DemoReader("grace@example.org", "robot manipulation, embodied agents", "robotics;agents"),
    DemoReader("alan@example.org", "video and image generation with diffusion", "generative-media"),
    DemoReader("edsger@example.org", "reasoning, reinforcement learning, reward models", "rl"),
    DemoReader("barbara@example.org", "vision-language models and benchmarks", "multimodal;vision"),
)


class NotADemoDatabase(RuntimeError):
    """The database has subscribers the demo did not make: it would mail them."""


def check_demo_database(session: Session) -> None:
    """Raise ``NotADemoDatabase`` if anyone but the demo's readers subscribed here."""
    others = session.scalar(
        select(func.count())
        .select_from(Subscriber)
        .where(or_(Subscriber.consent_source.is_(None), Subscriber.consent_source != SOURCE))
    )
    if others:
        noun = "subscriber" if others == 1 else "subscribers"
        raise NotADemoDatabase(
            f"this database has {others} {noun} of its own, and the demo sends an edition "
            "to every active subscriber. Run it on a fresh database, in a folder of its own: "
            "PAPERBOY_VAR_DIR=var/demo paperboy demo (and serve that one with "
            "PAPERBOY_VAR_DIR=var/demo paperboy run)"
        )


def load_sample_papers(session: Session) -> IngestSummary:
    """Store the shipped Daily Papers sample (no network: no arXiv enrichment)."""
    return ingest_files(session, paths=[demo_sample()], enricher=None)


def add_demo_readers(session: Session) -> ImportReport:
    """The example readers, active (their consent source says ``demo``)."""
    rows = (
        (
            line,
            {
                "email": reader.email,
                "interests": reader.interests,
                "topics": reader.topics,
                "frequency": "daily",
            },
        )
        for line, reader in enumerate(READERS, start=1)
    )
    return import_rows(session, rows=rows, source=SOURCE)
