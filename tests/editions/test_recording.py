"""The outcome writer: pipelined on PostgreSQL, and what it does when the pipeline breaks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import make_session_factory, transaction, utcnow
from app.editions.deliveries import DeliveryResult, claim_deliveries
from app.editions.recording import OutcomeWriter
from app.editions.service import open_edition
from app.models import Delivery, DeliveryStatus
from tests.factories import DAY, add_papers, add_subscriber, make_test_settings, truncate_all


@pytest.fixture
def pg(postgresql_engine: Engine) -> Iterator[Engine]:
    truncate_all(postgresql_engine)
    yield postgresql_engine
    truncate_all(postgresql_engine)


@pytest.fixture
def writer_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The writer's own log, whatever another test did to the app's loggers' propagation."""
    logger = logging.getLogger("app.editions.recording")
    # setLevel, not the attribute: it also clears the loggers' cached answers, which a
    # command run earlier in this process (root at ERROR) left at "WARNING is off".
    level = logger.level
    logger.setLevel(logging.WARNING)
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.WARNING)
    yield caplog
    logger.removeHandler(caplog.handler)
    logger.setLevel(level)


def _claimed(engine: Engine, settings: Settings, readers: int) -> list[int]:
    """``readers`` deliveries of one edition, claimed (``sending``)."""
    with transaction(make_session_factory(engine)) as session:
        add_papers(session, count=2)
        for n in range(readers):
            add_subscriber(session, f"r{n}@example.org")
        edition, chunks = open_edition(session, edition_date=DAY, settings=settings)
        ids = [i for chunk in chunks for i in chunk]
        claimed = claim_deliveries(
            session,
            edition_id=edition.id,
            delivery_ids=ids,
            limit=len(ids),
            lease_seconds=300,
            now=utcnow(),
        )
    return [claim.id for claim in claimed]


def _sent(delivery_id: int) -> DeliveryResult:
    picks = [{"arxiv_id": "2511.00001", "why": "Because: «GUI agents» \u2014 ok", "section": "x"}]
    return DeliveryResult(
        delivery_id,
        DeliveryStatus.SENT,
        smtp_code=250,
        message_id=f"<digest.{delivery_id}@example.org>",
        picks=picks,
    )


def _statuses(session: Session) -> dict[int, DeliveryStatus]:
    return {row.id: row.status for row in session.execute(select(Delivery.id, Delivery.status))}


def test_pipelined_outcomes_are_committed_as_they_are_handed_over(
    pg: Engine, tmp_path: Path
) -> None:
    settings = make_test_settings(tmp_path)
    ids = _claimed(pg, settings, 6)
    writer = OutcomeWriter(settings, make_session_factory(pg))
    try:
        writer.submit(_sent(ids[0]))
        writer.submit(_sent(ids[1]))
        # window 1: handing over the second waited for the first's commit
        with Session(pg) as other:
            assert _statuses(other)[ids[0]] == DeliveryStatus.SENT
        writer.submit(DeliveryResult(ids[2], DeliveryStatus.FAILED, error="nope, «x»"))
        writer.submit(
            DeliveryResult(ids[3], DeliveryStatus.PENDING, error="lease", not_attempted=True)
        )
        writer.settle()
    finally:
        writer.close()
    with Session(pg) as other:
        rows = {d.id: d for d in other.scalars(select(Delivery))}
    assert rows[ids[0]].picks[0]["why"] == "Because: «GUI agents» \u2014 ok"
    assert rows[ids[0]].message_id == f"<digest.{ids[0]}@example.org>"
    assert rows[ids[0]].sent_at is not None and rows[ids[0]].lease_expires_at is None
    assert rows[ids[2]].status == DeliveryStatus.FAILED and rows[ids[2]].last_error == "nope, «x»"
    assert rows[ids[3]].status == DeliveryStatus.PENDING and rows[ids[3]].attempts == 0
    assert {rows[i].status for i in ids[4:]} == {DeliveryStatus.SENDING}


def test_a_dropped_pipeline_connection_loses_no_outcome(
    pg: Engine, tmp_path: Path, writer_log: pytest.LogCaptureFixture
) -> None:
    settings = make_test_settings(tmp_path, send_record_every=5)
    ids = _claimed(pg, settings, 40)
    writer = OutcomeWriter(settings, make_session_factory(pg))
    try:
        for delivery_id in ids[:20]:
            writer.submit(_sent(delivery_id))
        pipeline = writer._pipeline
        assert pipeline is not None
        with pg.connect() as admin:
            admin.execute(
                text("SELECT pg_terminate_backend(:pid)"), {"pid": pipeline._pg.backend_pid}
            )
        for delivery_id in ids[20:]:
            writer.submit(_sent(delivery_id))
        writer.settle()
    finally:
        writer.close()
    assert "outcome pipeline lost" in writer_log.text
    with Session(pg) as other:
        assert set(_statuses(other).values()) == {DeliveryStatus.SENT}


def test_a_refused_statement_is_written_again_in_a_transaction(
    pg: Engine, tmp_path: Path, writer_log: pytest.LogCaptureFixture
) -> None:
    settings = make_test_settings(tmp_path, send_record_every=3)
    ids = _claimed(pg, settings, 3)
    writer = OutcomeWriter(settings, make_session_factory(pg))
    try:
        writer.submit(_sent(ids[0]))
        pipeline = writer._pipeline
        assert pipeline is not None
        # A statement the server refuses, standing for the second outcome.
        pipeline._pg.send_query_params(b"SELECT 1/0", None)
        pipeline._pg.pipeline_sync()
        pipeline._unconfirmed.append(_sent(ids[1]))
        writer.submit(_sent(ids[2]))
        writer.settle()
    finally:
        writer.close()
    with Session(pg) as other:
        assert set(_statuses(other).values()) == {DeliveryStatus.SENT}
    assert "refused an outcome (FATAL_ERROR): ERROR:  division by zero" in writer_log.text
