"""A small, known world for dashboard tests: subscribers, papers, ingest runs, editions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import (
    Delivery,
    DeliveryStatus,
    Edition,
    EditionStatus,
    Event,
    EventKind,
    IngestRun,
    IngestRunStatus,
    Paper,
    PaperFeature,
    Subscriber,
    SubscriberStatus,
)

# status -> how many subscribers
SUBSCRIBERS = {
    SubscriberStatus.ACTIVE: 12,
    SubscriberStatus.PENDING: 3,
    SubscriberStatus.UNSUBSCRIBED: 2,
    SubscriberStatus.BOUNCED: 1,
    SubscriberStatus.COMPLAINED: 1,
}
# Today's edition, in progress: delivery status -> count (sums to the 12 active subscribers)
TODAY_DELIVERIES = {
    DeliveryStatus.SENT: 5,
    DeliveryStatus.FAILED: 2,
    DeliveryStatus.BOUNCED: 1,
    DeliveryStatus.SENDING: 1,
    DeliveryStatus.PENDING: 2,
    DeliveryStatus.SKIPPED: 1,
}


@dataclass
class Scenario:
    today: date
    subscribers: list[Subscriber] = field(default_factory=list)
    papers: list[Paper] = field(default_factory=list)
    today_edition: Edition | None = None
    yesterday_edition: Edition | None = None
    yesterday_clicks: int = 0
    yesterday_clickers: int = 0


def seed_scenario(session: Session) -> Scenario:
    """Write the scenario (flushes, does not commit)."""
    now = utcnow()
    scenario = Scenario(today=now.date())
    number = 0
    for status, count in SUBSCRIBERS.items():
        for _ in range(count):
            number += 1
            subscriber = Subscriber(
                email=f"reader{number:02d}@example.org",
                status=status,
                interests="diffusion models, retrieval",
                topics=["llm", "agents"],
                created_at=now - timedelta(days=number * 4),
                consent_at=now - timedelta(days=number * 4),
                consent_source="web form",
            )
            session.add(subscriber)
            scenario.subscribers.append(subscriber)
    for index in range(4):
        paper = Paper(
            arxiv_id=f"2511.1000{index}",
            title=f"Paper number {index}",
            abstract="An abstract.",
            upvotes=10 * (4 - index),
        )
        paper.features = [PaperFeature(featured_on=scenario.today)]
        session.add(paper)
        scenario.papers.append(paper)
    session.add(
        IngestRun(
            source="hf_daily",
            target_date=scenario.today,
            status=IngestRunStatus.SUCCEEDED,
            fetched=5,
            new=4,
            skipped=1,
            skipped_items=[{"item": "#3", "reason": "invalid arXiv id 'abc'"}],
            started_at=now - timedelta(hours=1),
            finished_at=now - timedelta(minutes=59),
        )
    )
    session.flush()
    active = [s for s in scenario.subscribers if s.status == SubscriberStatus.ACTIVE]
    paper_ids = [p.arxiv_id for p in scenario.papers]

    yesterday = Edition(
        edition_date=scenario.today - timedelta(days=1),
        status=EditionStatus.FINISHED,
        paper_ids=paper_ids,
        recipients=len(active),
        started_at=now - timedelta(days=1),
        finished_at=now - timedelta(days=1, minutes=-5),
    )
    session.add(yesterday)
    session.flush()
    for index, subscriber in enumerate(active):
        status = DeliveryStatus.SENT if index < 10 else DeliveryStatus.FAILED
        delivery = Delivery(
            edition_id=yesterday.id,
            subscriber_id=subscriber.id,
            status=status,
            last_error=None if status == DeliveryStatus.SENT else "451 4.7.1 try again later",
            smtp_code=None if status == DeliveryStatus.SENT else 451,
        )
        session.add(delivery)
        session.flush()
        if index < 3:  # three readers click, the first one twice
            for _ in range(2 if index == 0 else 1):
                session.add(
                    Event(
                        kind=EventKind.CLICK,
                        subscriber_id=subscriber.id,
                        delivery_id=delivery.id,
                        arxiv_id=paper_ids[0],
                    )
                )
                scenario.yesterday_clicks += 1
            scenario.yesterday_clickers += 1
    scenario.yesterday_edition = yesterday

    today = Edition(
        edition_date=scenario.today,
        status=EditionStatus.SENDING,
        paper_ids=paper_ids,
        recipients=len(active),
        started_at=now - timedelta(minutes=10),
    )
    session.add(today)
    session.flush()
    statuses = [s for s, count in TODAY_DELIVERIES.items() for _ in range(count)]
    # Three of the sent digests went out in the last 30 seconds, the others earlier.
    sent_ago = iter([5, 15, 25, 120, 300])
    for subscriber, status in zip(active, statuses, strict=True):
        sent_at = now - timedelta(seconds=next(sent_ago)) if status == DeliveryStatus.SENT else None
        session.add(
            Delivery(
                edition_id=today.id,
                subscriber_id=subscriber.id,
                status=status,
                sent_at=sent_at,
                last_error="550 5.1.1 mailbox unavailable"
                if status == DeliveryStatus.BOUNCED
                else None,
                smtp_code=550 if status == DeliveryStatus.BOUNCED else None,
                # Everyone's digest has paper 0; only the sent ones also have paper 1.
                picks=[{"arxiv_id": paper_ids[0], "score": 0.9, "why": "trending"}]
                + (
                    [{"arxiv_id": paper_ids[1], "score": 0.5, "why": "you follow llm"}]
                    if status == DeliveryStatus.SENT
                    else []
                ),
            )
        )
    session.flush()
    scenario.today_edition = today
    return scenario
