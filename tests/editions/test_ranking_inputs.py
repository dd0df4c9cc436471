"""The send pipeline ranks with the production ranker, fed from the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.config import Settings
from app.editions.digests import kit_for_edition, prepare_digests
from app.editions.ranking_inputs import (
    candidate_papers_for,
    edition_as_of,
    prepared_edition,
    subscriber_profiles,
)
from app.editions.service import create_edition
from app.models import Delivery, DeliveryStatus, Event, EventKind, PaperSnapshot
from tests.factories import DAY, add_papers, add_subscriber

AS_OF = edition_as_of(DAY)


def _sent_delivery(
    session: Session, subscriber_id: int, arxiv_ids: list[str], days_ago: int = 1
) -> Delivery:
    earlier = create_edition(session, edition_date=DAY - timedelta(days=days_ago))
    delivery = Delivery(
        edition_id=earlier.id,
        subscriber_id=subscriber_id,
        status=DeliveryStatus.SENT,
        sent_at=datetime.now(UTC) - timedelta(hours=1 + 24 * (days_ago - 1)),
        picks=[{"arxiv_id": a, "section": "picks"} for a in arxiv_ids],
    )
    session.add(delivery)
    session.flush()
    return delivery


def test_profiles_carry_clicks_papers_shown_and_everything_already_sent(
    session: Session,
) -> None:
    add_papers(session)
    reader = add_subscriber(session, "reader@example.org")
    other = add_subscriber(session, "other@example.org", interests="")
    delivery = _sent_delivery(session, reader.id, ["2511.20001", "2511.20002", "2511.20003"])
    session.add(
        Event(
            kind=EventKind.CLICK,
            subscriber_id=reader.id,
            delivery_id=delivery.id,
            arxiv_id="2511.20002",
        )
    )
    session.flush()
    mine, theirs = subscriber_profiles(session, [reader, other], default_k=4, now=datetime.now(UTC))
    assert mine.interests == "speculative decoding, GUI agents"
    assert mine.clicked == ["2511.20002"]
    assert mine.already_sent == ["2511.20001", "2511.20002", "2511.20003"]
    assert mine.shown_not_clicked == ["2511.20001", "2511.20003"]
    assert mine.k == 4
    assert (theirs.clicked, theirs.already_sent, theirs.interests) == ([], [], "")


def test_readers_who_click_enough_get_their_longer_history_of_papers_shown(
    session: Session,
) -> None:
    add_papers(session)
    learner = add_subscriber(session, "learner@example.org")
    casual = add_subscriber(session, "casual@example.org")
    for reader in (learner, casual):
        _sent_delivery(session, reader.id, ["2511.09999"], days_ago=40)  # before any candidate
        _sent_delivery(session, reader.id, ["2511.20003"])
    for n in range(5):
        session.add(Event(kind=EventKind.CLICK, subscriber_id=learner.id, arxiv_id=f"2511.2000{n}"))
    session.flush()
    now = datetime.now(UTC)
    mine, theirs = subscriber_profiles(
        session, [learner, casual], default_k=5, now=now, sent_since=now - timedelta(days=7)
    )
    assert "2511.09999" in mine.shown_not_clicked  # the click model's weak negatives
    assert "2511.20003" in theirs.already_sent  # never repeated
    assert "2511.09999" not in theirs.already_sent  # not a candidate: not looked up


def test_upvote_velocity_comes_from_the_days_snapshots(session: Session) -> None:
    first, second = add_papers(session, count=2)
    start = AS_OF - timedelta(hours=10)
    session.add_all(
        [
            PaperSnapshot(paper_id=first.id, fetched_at=start, upvotes=10),
            PaperSnapshot(paper_id=first.id, fetched_at=start + timedelta(hours=4), upvotes=50),
            PaperSnapshot(paper_id=second.id, fetched_at=start, upvotes=80),
        ]
    )
    session.flush()
    candidates = candidate_papers_for(session, [first.arxiv_id, second.arxiv_id], as_of=AS_OF)
    assert [c.upvote_velocity for c in candidates] == [10.0, 0.0]
    assert {c.featured_on for c in candidates} == {DAY}


def test_digests_use_the_rankers_picks_and_reasons(session: Session, settings: Settings) -> None:
    add_papers(session)
    reader = add_subscriber(session, "reader@example.org", interests="speculative decoding")
    blank = add_subscriber(session, "blank@example.org", interests="")
    _sent_delivery(session, reader.id, ["2511.20000"])  # the speculative decoding paper
    edition = create_edition(session, edition_date=DAY)
    kit = kit_for_edition(session, edition, settings)
    mine, theirs = prepare_digests(session, kit=kit, subscribers=[reader, blank], settings=settings)
    shown = [item.arxiv_id for item in mine.items]
    assert "2511.20000" not in shown  # never repeated
    assert all(item.why.startswith("No interests set yet") for item in theirs.items[:3])
    assert theirs.reader.trending_fallback
    trending = [item for item in mine.items if item.section == "trending"]
    assert all("trending today" in item.why for item in trending)


def test_an_edition_is_prepared_once_per_process(session: Session, settings: Settings) -> None:
    add_papers(session)
    edition = create_edition(session, edition_date=DAY)
    key = (edition.id, edition.created_at)

    def prepare(cache_key: object) -> object:
        return prepared_edition(
            session,
            paper_ids=edition.paper_ids,
            edition_date=DAY,
            as_of=AS_OF,
            settings=settings,
            cache_key=cache_key,
        )

    once = prepare(key)
    assert prepare(key) is once
    assert prepare(None) is not once
