"""Brought papers we lack: fetched from arXiv in the background, waiting while offline,
then steering the reader's next digest."""

from __future__ import annotations

from pathlib import Path

import httpx
from celery.schedules import crontab
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.db import make_session_factory, transaction
from app.editions.digests import render_digest_for
from app.ingest.jobs import fetch_brought_papers
from app.models import Paper, PaperLookup, Subscriber
from app.schedule import beat_schedule
from app.subscriptions.brought import bring_papers, references_in_text, steering_papers
from tests.factories import (
    DAY,
    OFFLINE_ARXIV_URL,
    add_papers,
    add_subscriber,
    clear_queue,
    make_test_settings,
    queued_jobs,
    settings_for,
)
from tests.ingest.conftest import CountingLimiter

# An arXiv API answer (our own, shaped like the real one) for a 2017 paper: far older than
# the ranker's 30-day corpus, which must still find it as the reader's seed.
BROUGHT_PAPER = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <entry>
    <id>http://arxiv.org/abs/1702.01234v3</id>
    <published>2017-02-03T18:00:00Z</published>
    <title>Draft Trees for Speculative
  Decoding in Large Language Model Inference</title>
    <summary>Speculative decoding with draft trees makes large language model inference
  faster: a small draft model proposes tokens the large model verifies.</summary>
    <author><name>Ada Example</name></author>
    <author><name>Bo Sample</name></author>
    <arxiv:comment>9 pages</arxiv:comment>
    <link title="pdf" href="http://arxiv.org/pdf/1702.01234v3" rel="related"
      type="application/pdf"/>
    <arxiv:primary_category term="cs.CL"/>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>
"""


def _arxiv(answers: list[httpx.Response | Exception]) -> tuple[httpx.MockTransport, list[str]]:
    asked: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        assert str(request.url).startswith(OFFLINE_ARXIV_URL)
        asked.append(request.url.params["id_list"])
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handle), asked


def _reader_brings(engine: Engine, tmp_path: Path, redis_url: str, text: str) -> int:
    """A reader brings papers we lack; the lookup job is enqueued (by name) on commit."""
    # A broker, so the job waits in its queue: each test runs it itself, on fake arXiv.
    settings = settings_for(tmp_path, engine, broker_url=redis_url)
    clear_queue(redis_url)
    with transaction(make_session_factory(engine)) as session:
        add_papers(session)
        reader = add_subscriber(session, "reader@example.org", interests="")
        report = bring_papers(
            session, subscriber=reader, references=references_in_text(text), settings=settings
        )
        assert report.waiting == text.split()
        assert queued_jobs(redis_url) == []  # not before the commit
    assert queued_jobs(redis_url) == [("ingest.fetch_brought_papers", [])]
    clear_queue(redis_url)
    return reader.id


def _states(engine: Engine) -> list[tuple[str, str | None, str]]:
    with Session(engine) as session:
        reader = session.scalars(select(Subscriber)).one()
        papers = steering_papers(session, subscriber=reader).brought
        return [(p.arxiv_id, p.title, p.state) for p in papers]


def test_a_brought_paper_is_fetched_from_arxiv_and_then_steers_the_next_digest(
    clean_db: Engine, tmp_path: Path, redis_url: str
) -> None:
    settings = settings_for(tmp_path, clean_db)
    reader_id = _reader_brings(clean_db, tmp_path, redis_url, "1702.01234 2511.99999")
    factory = make_session_factory(clean_db)
    with transaction(factory) as session:
        # The reader's next digest, ranked by the code that sends it (the admin preview).
        waiting = render_digest_for(
            session, subscriber_id=reader_id, edition_date=DAY, settings=settings
        )
    # Not stored yet: listed as waiting, and no digest can be steered by it.
    assert _states(clean_db) == [
        ("1702.01234", None, "waiting"),
        ("2511.99999", None, "waiting"),
    ]
    assert "Because you liked" not in waiting.text

    limiter = CountingLimiter()
    transport, asked = _arxiv(
        [httpx.Response(200, text=BROUGHT_PAPER, headers={"Content-Type": "application/atom+xml"})]
    )
    done = fetch_brought_papers(settings, transport=transport, limiter=limiter)

    assert done == {"asked": 2, "stored": 1, "missing": 1}
    assert asked == ["1702.01234,2511.99999"] and limiter.calls == 1  # one call, spaced
    title = "Draft Trees for Speculative Decoding in Large Language Model Inference"
    assert _states(clean_db) == [
        ("1702.01234", title, "stored"),
        ("2511.99999", None, "missing"),  # arXiv answered without it: no such paper
    ]
    with Session(clean_db) as session:
        paper = session.scalars(select(Paper).where(Paper.arxiv_id == "1702.01234")).one()
        assert paper.authors == ["Ada Example", "Bo Sample"]
        assert paper.abstract.startswith("Speculative decoding with draft trees makes large")
        assert paper.categories == ["cs.CL"] and paper.enriched_at is not None
        assert [lookup.arxiv_id for lookup in session.scalars(select(PaperLookup))] == [
            "2511.99999"
        ]
    # The next digest ranks with the stored paper as the reader's seed.
    with transaction(factory) as session:
        steered = render_digest_for(
            session, subscriber_id=reader_id, edition_date=DAY, settings=settings
        )
    assert "Because you liked *Draft Trees for Speculative Decoding" in " ".join(
        steered.text.split()
    )
    # Nothing is waiting any more: another run asks arXiv nothing.
    assert fetch_brought_papers(settings, transport=_arxiv([])[0]) == {
        "asked": 0,
        "stored": 0,
        "missing": 0,
    }


def test_while_arxiv_cannot_be_reached_the_papers_wait_and_a_later_run_fetches_them(
    clean_db: Engine, tmp_path: Path, redis_url: str
) -> None:
    settings = settings_for(tmp_path, clean_db)
    _reader_brings(clean_db, tmp_path, redis_url, "1702.01234")

    offline, _ = _arxiv([httpx.ConnectError("no network")])
    assert fetch_brought_papers(settings, transport=offline, limiter=CountingLimiter()) == {
        "asked": 1,
        "stored": 0,
        "missing": 0,
    }
    assert _states(clean_db) == [("1702.01234", None, "waiting")]
    with Session(clean_db) as session:
        [lookup] = session.scalars(select(PaperLookup))
        assert lookup.attempts == 1 and lookup.missing_at is None

    online, _ = _arxiv([httpx.Response(200, text=BROUGHT_PAPER)])
    fetch_brought_papers(settings, transport=online, limiter=CountingLimiter())

    assert [state for _, _, state in _states(clean_db)] == ["stored"]


def test_waiting_papers_are_asked_for_again_on_the_schedule(tmp_path: Path) -> None:
    [entry] = [
        entry
        for entry in beat_schedule(make_test_settings(tmp_path)).values()
        if entry["task"] == "ingest.fetch_brought_papers"
    ]

    # Every quarter of an hour, every day: a paper brought offline waits 15 minutes at most.
    assert isinstance(entry["schedule"], crontab)
    assert entry["schedule"].minute == {0, 15, 30, 45} and len(entry["schedule"].hour) == 24
