"""The papers a reader brings: what is added, what is skipped and why, the cap, removal."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.models import FeedbackKind, Paper, Subscriber, SubscriberStatus
from app.subscriptions.brought import (
    MAX_BROUGHT,
    BringReport,
    bring_papers,
    references_in_text,
    remove_brought,
    steering_papers,
    stop_steering,
)
from app.subscriptions.errors import SubscriptionEnded
from app.subscriptions.papers import feedback_of, record_feedback
from tests.factories import add_papers, add_subscriber, make_test_settings, truncate_all


def _bring(
    session: Session, tmp_path: Path, email: str, text: str
) -> tuple[Subscriber, BringReport]:
    subscriber = session.scalars(select(Subscriber).where(Subscriber.email == email)).one()
    return subscriber, bring_papers(
        session,
        subscriber=subscriber,
        references=references_in_text(text),
        settings=make_test_settings(tmp_path),
    )


def test_typed_ids_and_links_are_added_once_and_the_rest_say_why(
    session: Session, tmp_path: Path
) -> None:
    add_papers(session)  # 2511.20000 ... 2511.20009 are stored papers
    add_subscriber(session, "reader@example.org")
    text = """
        2511.20001
        https://arxiv.org/abs/2511.20001v2
        https://huggingface.co/papers/hep-th/9901001
        10.48550/arXiv.1706.03762, javascript:alert(1)
        https://example.org/paper.pdf   not-an-id
    """

    subscriber, report = _bring(session, tmp_path, "reader@example.org", text)

    assert report.added == ["2511.20001", "hep-th/9901001", "1706.03762"]
    assert report.already == ["2511.20001"]  # the same paper by its link
    assert [s.reference for s in report.skipped] == [
        "javascript:alert(1)",
        "https://example.org/paper.pdf",
        "not-an-id",
    ]
    assert all(s.reason for s in report.skipped)
    # The two we have no paper for wait for arXiv; the stored one does not.
    assert report.waiting == ["hep-th/9901001", "1706.03762"]
    assert subscriber.seed_papers == ["2511.20001", "hep-th/9901001", "1706.03762"]
    listed = steering_papers(session, subscriber=subscriber).brought
    stored_title = session.scalars(select(Paper.title).where(Paper.arxiv_id == "2511.20001")).one()
    assert [(p.arxiv_id, p.title, p.state) for p in listed] == [
        ("2511.20001", stored_title, "stored"),
        ("hep-th/9901001", None, "waiting"),
        ("1706.03762", None, "waiting"),
    ]


def test_a_reader_brings_at_most_the_cap_and_is_told_what_did_not_fit(
    session: Session, tmp_path: Path
) -> None:
    reader = add_subscriber(session, "reader@example.org")
    reader.seed_papers = [f"2501.{n:05d}" for n in range(MAX_BROUGHT - 1)]

    _, report = _bring(session, tmp_path, "reader@example.org", "2511.00001 2511.00002 2511.00003")

    assert report.added == ["2511.00001"]
    assert report.brought == MAX_BROUGHT
    assert [s.reference for s in report.skipped] == ["2511.00002", "2511.00003"]
    assert all(f"you bring {MAX_BROUGHT} papers already" in s.reason for s in report.skipped)
    assert len(reader.seed_papers) == MAX_BROUGHT


def test_too_many_references_at_once_are_not_read_and_the_report_says_so(
    session: Session, tmp_path: Path
) -> None:
    add_subscriber(session, "reader@example.org")
    text = "\n".join(f"2511.{n:05d}" for n in range(250))

    _, report = _bring(session, tmp_path, "reader@example.org", text)

    assert len(report.added) == MAX_BROUGHT
    assert report.skipped[-1].reference == "50 more"
    assert "at most 200 at a time" in report.skipped[-1].reason


def test_bringing_a_paper_one_disliked_takes_the_dislike_back(
    session: Session, tmp_path: Path
) -> None:
    reader = add_subscriber(session, "reader@example.org")
    record_feedback(session, subscriber=reader, arxiv_id="2511.20003", kind=FeedbackKind.DISLIKE)
    record_feedback(session, subscriber=reader, arxiv_id="2511.20004", kind=FeedbackKind.LIKE)

    _, report = _bring(session, tmp_path, "reader@example.org", "2511.20003 2511.20004")

    assert report.added == ["2511.20003"]
    assert report.already == ["2511.20004"]  # liked: it steers the digest already
    told = feedback_of(session, [reader.id])[reader.id]
    assert told.disliked == [] and told.liked == ["2511.20004"]


def test_removing_a_brought_paper_takes_it_out_of_the_seeds_and_the_list(
    session: Session, tmp_path: Path
) -> None:
    reader = add_subscriber(session, "reader@example.org")
    _bring(session, tmp_path, "reader@example.org", "2511.00001 hep-th/9901001")
    record_feedback(session, subscriber=reader, arxiv_id="2511.20004", kind=FeedbackKind.LIKE)

    assert remove_brought(session, subscriber=reader, arxiv_id="hep-th/9901001")
    assert not remove_brought(session, subscriber=reader, arxiv_id="hep-th/9901001")
    assert stop_steering(session, subscriber=reader, arxiv_id="2511.20004")

    assert reader.seed_papers == ["2511.00001"]
    papers = steering_papers(session, subscriber=reader)
    assert [p.arxiv_id for p in papers.brought] == ["2511.00001"]
    assert papers.liked == [] and papers.disliked == []


@pytest.mark.parametrize("status", [SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED])
def test_an_ended_subscription_brings_nothing(
    session: Session, tmp_path: Path, status: SubscriberStatus
) -> None:
    reader = add_subscriber(session, "reader@example.org", status=status)

    with pytest.raises(SubscriptionEnded):
        _bring(session, tmp_path, "reader@example.org", "2511.00001")

    assert reader.seed_papers == []


def _side_by_side(
    engine: Engine, first: Callable[[Session], object], second: Callable[[Session], object]
) -> list[BaseException]:
    """``first`` in a transaction left open while ``second`` runs in another (as two
    requests of one reader at once), then ``first`` commits; the errors of ``second``."""
    first_session = Session(engine)
    errors: list[BaseException] = []

    def other_request() -> None:
        try:
            with Session(engine) as session, session.begin():
                second(session)
        except BaseException as error:
            errors.append(error)

    try:
        first(first_session)
        other = threading.Thread(target=other_request)
        other.start()
        other.join(timeout=1)  # it waits for the first, or has run past it
        first_session.commit()
        other.join(timeout=30)
        assert not other.is_alive()
    finally:
        first_session.close()
    return errors


@pytest.fixture
def one_reader(postgresql_engine: Engine) -> Iterator[int]:
    truncate_all(postgresql_engine)
    with Session(postgresql_engine) as session, session.begin():
        add_papers(session, count=3)
        reader = add_subscriber(session, "reader@example.org")
        reader.seed_papers = ["2511.20000", "2511.20001"]
        session.flush()
        reader_id = reader.id
    yield reader_id
    truncate_all(postgresql_engine)


def test_a_double_click_on_more_like_this_records_one_word_without_an_error(
    postgresql_engine: Engine, one_reader: int
) -> None:
    """Two POSTs side by side both found no row and both inserted one: the second
    failed on the unique constraint, a 500 for the reader."""

    def more(session: Session) -> None:
        reader = session.get_one(Subscriber, one_reader)
        record_feedback(session, subscriber=reader, arxiv_id="2511.20002", kind=FeedbackKind.LIKE)

    assert _side_by_side(postgresql_engine, more, more) == []
    with Session(postgresql_engine) as session:
        told = feedback_of(session, [one_reader])[one_reader]
    assert told.liked == ["2511.20002"]


def test_fewer_like_this_beside_a_bring_loses_neither(
    postgresql_engine: Engine, one_reader: int, tmp_path: Path
) -> None:
    """A bring beside a "fewer like this" wrote back the brought papers it had read
    before the dislike committed: the disliked paper was brought again as well."""

    def fewer(session: Session) -> None:
        reader = session.get_one(Subscriber, one_reader)
        record_feedback(
            session, subscriber=reader, arxiv_id="2511.20001", kind=FeedbackKind.DISLIKE
        )

    def bring(session: Session) -> None:
        reader = session.get_one(Subscriber, one_reader)
        bring_papers(
            session,
            subscriber=reader,
            references=references_in_text("2511.20002"),
            settings=make_test_settings(tmp_path),
        )

    assert _side_by_side(postgresql_engine, fewer, bring) == []
    with Session(postgresql_engine) as session:
        reader = session.get_one(Subscriber, one_reader)
        assert reader.seed_papers == ["2511.20000", "2511.20002"]
        assert feedback_of(session, [one_reader])[one_reader].disliked == ["2511.20001"]
