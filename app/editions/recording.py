"""Outcomes made durable as the mail server accepts them (duplicates bounded by the wire).

A batch of deliveries is claimed and rendered together, but each outcome is
handed to the worker's ``OutcomeWriter`` as soon as it settles (right after the
server's 250 for an accepted message), and at most ``send_record_every``
outcomes (1 by default) are ever handed over and not yet durable: the send loop
waits before handing over one more. A worker killed with ``kill -9`` therefore
re-sends, after the lease, at most the messages it had on the wire plus those
``send_record_every``, instead of a whole batch.

On PostgreSQL an outcome costs no round trip of its own: it goes out on a
connection of the writer's own in libpq's pipeline mode, as one prepared
``UPDATE`` (``deliveries.RECORD_SENT`` / ``RECORD_OTHER``) followed by a Sync,
so the server commits it as its own implicit transaction (autocommit,
``synchronous_commit = off``) while the send loop renders and sends the next
message; its confirmation is read when it has arrived, or waited for when the
window is full. That is safe here: a killed *worker* loses nothing the server
has acknowledged; only a crash of the database server itself could drop the
last fraction of a second of commits, which would leave those rows ``sending``
to be re-sent after their lease (a possible duplicate, never a lost digest).

Everything else goes through an ordinary transaction that waits out a database
outage (``wait_out_outage``): bounces (which also suppress the address), SQLite,
and the outcomes a broken pipeline had not confirmed (a dropped connection, a
statement the server refused), which are written again that way.
"""

from __future__ import annotations

import contextlib
import enum
import json
import logging
import select
from collections import deque
from datetime import datetime
from typing import Any

import psycopg
from psycopg import pq
from sqlalchemy import Engine, Update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import transaction, utcnow, wait_out_outage
from app.editions.deliveries import (
    RECORD_OTHER,
    RECORD_SENT,
    DeliveryResult,
    outcome_statement,
    record_results,
)
from app.logs import log_context
from app.models import DeliveryStatus
from app.subscriptions.suppression import Suppress, suppress_addresses

log = logging.getLogger(__name__)
# Outcomes an operator hears of as they happen (sent and skipped ones are counted only).
_SAID = {
    DeliveryStatus.PENDING: "will be retried",
    DeliveryStatus.FAILED: "failed",
    DeliveryStatus.BOUNCED: "bounced",
}
Outcome = tuple[DeliveryResult, Suppress | None]
# How long a pipelined write may stay unconfirmed before the connection is taken for lost.
CONFIRMATION_TIMEOUT_SECONDS = 30.0


class OutcomeWriter:
    """One worker's writer of delivery outcomes (one per process, kept between chunks)."""

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session]) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.window = max(1, settings.send_record_every)
        bind = session_factory.kw.get("bind")
        pipelined = isinstance(bind, Engine) and bind.dialect.name == "postgresql"
        self._engine = bind if pipelined else None
        self._pipeline: _Pipeline | None = None
        self._queued: list[Outcome] = []  # for an ordinary transaction

    def submit(self, result: DeliveryResult, bounce: Suppress | None = None) -> None:
        """Hand one outcome over; waits while ``window`` outcomes are not yet durable."""
        pipeline = self._open() if bounce is None else None
        if pipeline is None:
            self._queued.append((result, bounce))
            if bounce is not None or len(self._queued) >= self.window:
                self._write_queued()
            return
        try:
            pipeline.send(result, utcnow(), window=self.window)
        except (psycopg.Error, OSError, TimeoutError) as error:
            self._lost(pipeline, error, [result])

    def settle(self) -> None:
        """Return once every outcome handed over is durable (or raise why it cannot be)."""
        pipeline = self._pipeline
        if pipeline is not None:
            try:
                pipeline.wait(unconfirmed=0)
            except (psycopg.Error, OSError, TimeoutError) as error:
                self._lost(pipeline, error, [])
            else:
                self._queued.extend((result, None) for result in pipeline.take_refused())
        self._write_queued()

    def close(self) -> None:
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            pipeline.close()

    def _open(self) -> _Pipeline | None:
        if self._pipeline is None and self._engine is not None:
            try:
                self._pipeline = _Pipeline(self._engine)
            except (psycopg.Error, OSError) as error:
                # The ordinary path waits the outage out; the next outcome tries again.
                log.warning("no outcome pipeline, recording in transactions: %s", error)
        return self._pipeline

    def _lost(self, pipeline: _Pipeline, error: BaseException, also: list[DeliveryResult]) -> None:
        """The pipeline broke: what it had not confirmed is written the ordinary way."""
        unconfirmed = pipeline.take_unconfirmed() + also
        log.warning(
            "outcome pipeline lost (%s); recording %d outcomes in a transaction",
            error,
            len(unconfirmed),
        )
        self._pipeline = None
        pipeline.close()
        self._queued.extend((result, None) for result in unconfirmed)
        self._write_queued()

    def _write_queued(self) -> None:
        outcomes, self._queued = self._queued, []
        if not outcomes:
            return
        results = [result for result, _ in outcomes]
        bounces = [bounce for _, bounce in outcomes if bounce is not None]

        def write() -> None:
            with transaction(self.session_factory) as session:
                record_results(session, results=results, now=utcnow())
                suppress_addresses(session, bounces)

        wait_out_outage(
            write,
            patience_seconds=self.settings.database_outage_seconds,
            what="recording deliveries",
        )


class _Statement:
    """One of the recording statements, compiled once for ``$n`` parameters."""

    def __init__(self, name: bytes, statement: Update) -> None:
        dialect = postgresql.psycopg.dialect(paramstyle="numeric_dollar")  # type: ignore[no-untyped-call]
        compiled = statement.compile(dialect=dialect)
        self.name = name
        self.sql = compiled.string.encode()
        self.order = list(compiled.positiontup or ())
        self.constants = {
            key: _text(compiled.binds[key].value) for key in self.order if not key.startswith("b_")
        }

    def values(self, parameters: dict[str, Any]) -> list[bytes | None]:
        constants = self.constants
        return [
            constants[key] if key in constants else _text(parameters[key]) for key in self.order
        ]


def _text(value: Any) -> bytes | None:
    """A parameter in PostgreSQL's text format (the statement's casts give the types)."""
    if value is None:
        return None
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, datetime):
        return value.isoformat().encode()
    if isinstance(value, list | dict):
        return json.dumps(value).encode()
    return str(value).encode()


_STATEMENTS = {
    RECORD_SENT: _Statement(b"paperboy_record_sent", RECORD_SENT),
    RECORD_OTHER: _Statement(b"paperboy_record_other", RECORD_OTHER),
}


class _Pipeline:
    """A connection of the writer's own in pipeline mode: one statement and a Sync per outcome.

    ``psycopg``'s connection is only used to connect and set the session up;
    from then on its libpq connection is driven directly, so that sending never
    waits for an answer.
    """

    def __init__(self, engine: Engine) -> None:
        raw = engine.raw_connection()
        connection = raw.driver_connection
        raw.detach()  # ours alone, never handed back to the pool
        assert isinstance(connection, psycopg.Connection)
        connection.rollback()
        connection.autocommit = True
        connection.execute("SET synchronous_commit TO OFF")
        self._connection = connection
        self._pg = pg = connection.pgconn
        for statement in _STATEMENTS.values():
            prepared = pg.prepare(statement.name, statement.sql)
            if prepared.status != pq.ExecStatus.COMMAND_OK:
                raise psycopg.OperationalError(pg.get_error_message())
        pg.enter_pipeline_mode()
        self._unconfirmed: deque[DeliveryResult] = deque()
        self._failed_head = False  # the oldest unconfirmed outcome's statement was refused
        self._refused: list[DeliveryResult] = []

    def send(self, result: DeliveryResult, now: datetime, *, window: int) -> None:
        self.wait(unconfirmed=window - 1)
        statement, parameters = outcome_statement(result, now)
        prepared = _STATEMENTS[statement]
        self._unconfirmed.append(result)
        self._pg.send_query_prepared(prepared.name, prepared.values(parameters))
        self._pg.pipeline_sync()  # sends the Sync (the commit) and flushes
        self._read()

    def wait(self, *, unconfirmed: int) -> None:
        """Read confirmations until at most ``unconfirmed`` outcomes await theirs."""
        self._read()
        while len(self._unconfirmed) > unconfirmed:
            ready, _, _ = select.select([self._pg.socket], [], [], CONFIRMATION_TIMEOUT_SECONDS)
            if not ready:
                raise TimeoutError("no confirmation from the database")
            self._read()

    def take_refused(self) -> list[DeliveryResult]:
        refused, self._refused = self._refused, []
        return refused

    def take_unconfirmed(self) -> list[DeliveryResult]:
        unconfirmed = [*self._refused, *self._unconfirmed]
        self._refused, self._unconfirmed = [], deque()
        return unconfirmed

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self._connection.close()

    def _read(self) -> None:
        pg = self._pg
        pg.consume_input()
        while self._unconfirmed and not pg.is_busy():
            answer = pg.get_result()
            if answer is None:
                continue  # the end of a statement's results; its Sync comes next
            status = answer.status
            if status == pq.ExecStatus.PIPELINE_SYNC:
                head = self._unconfirmed.popleft()
                if self._failed_head:
                    self._refused.append(head)
                    self._failed_head = False
            elif status != pq.ExecStatus.COMMAND_OK:
                message = answer.error_message.decode(errors="replace").strip()
                log.warning(
                    "the database refused an outcome (%s): %s", pq.ExecStatus(status).name, message
                )
                self._failed_head = True
        if pg.status == pq.ConnStatus.BAD:
            raise psycopg.OperationalError(pg.get_error_message())


class BatchRecorder:
    """One batch's outcomes: each handed to the writer as it settles, all kept for the tally."""

    def __init__(self, writer: OutcomeWriter) -> None:
        self.writer = writer
        self.results: list[DeliveryResult] = []  # every outcome of the batch

    def add(self, result: DeliveryResult, bounce: Suppress | None = None) -> None:
        self.results.append(result)
        self.writer.submit(result, bounce)
        if result.status in _SAID and not result.not_attempted:
            # One line per delivery the mail server (or we) refused, with its id.
            with log_context(delivery_id=result.delivery_id):
                log.warning(
                    "delivery %s %s%s: %s",
                    result.delivery_id,
                    _SAID[result.status],
                    f" (SMTP {result.smtp_code})" if result.smtp_code else "",
                    result.error or "no reason given",
                )

    def flush(self) -> None:
        """Every outcome of the batch is durable once this returns."""
        self.writer.settle()
