"""Outcomes made durable as the mail server accepts them (duplicates bounded by the wire).

A batch of deliveries is claimed and rendered together, but each outcome is
written as soon as it settles: an accepted message is recorded right after the
server's 250 (``send_record_every`` at a time, 1 by default). A worker killed
with ``kill -9`` therefore re-sends, after the lease, at most the messages it
had on the wire plus those ``send_record_every - 1`` accepted but not yet
written, instead of a whole batch.

On PostgreSQL the writes go through one autocommit connection per worker with
``synchronous_commit = off``: one round trip per write, no WAL flush to wait
for. That is safe here: a killed *worker* loses nothing the server has
acknowledged; only a crash of the database server itself could drop the last
fraction of a second of commits, which would leave those rows ``sending`` to
be re-sent after their lease (a possible duplicate, never a lost digest).
Bounces (which also suppress the address) and SQLite use an ordinary
transaction. Every write waits out a database outage (``wait_out_outage``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import transaction, utcnow, wait_out_outage
from app.editions.deliveries import DeliveryResult, record_results
from app.models import DeliveryStatus
from app.subscriptions.suppression import Suppress, suppress_addresses


class OutcomeWriter:
    """One worker's way of writing outcomes (keeps its autocommit connection on PostgreSQL)."""

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session]) -> None:
        self.settings = settings
        self.session_factory = session_factory
        bind = session_factory.kw.get("bind")
        self._engine = bind if isinstance(bind, Engine) else None
        self._fast = self._engine is not None and self._engine.dialect.name == "postgresql"
        self._connection: Connection | None = None

    def write(self, results: Sequence[DeliveryResult], bounces: Sequence[Suppress]) -> None:
        """Record ``results`` (and suppress ``bounces``) durably, waiting out an outage."""
        if not results and not bounces:
            return
        wait_out_outage(
            lambda: self._write_once(results, bounces),
            patience_seconds=self.settings.database_outage_seconds,
            what="recording deliveries",
        )

    def _write_once(self, results: Sequence[DeliveryResult], bounces: Sequence[Suppress]) -> None:
        if self._fast and not bounces:
            try:
                record_results(self._autocommit(), results=results, now=utcnow())
            except Exception:
                self._discard()
                raise
            return
        with transaction(self.session_factory) as session:
            record_results(session, results=results, now=utcnow())
            suppress_addresses(session, bounces)

    def _autocommit(self) -> Connection:
        if self._connection is None:
            assert self._engine is not None
            connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("SET synchronous_commit TO OFF")
            self._connection = connection
        return self._connection

    def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()
            finally:
                connection.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


class BatchRecorder:
    """Collects one batch's outcomes and writes them as they settle."""

    def __init__(self, writer: OutcomeWriter, *, record_every: int) -> None:
        self.writer = writer
        self.record_every = max(1, record_every)
        self.results: list[DeliveryResult] = []  # every outcome of the batch
        self._unwritten: list[DeliveryResult] = []
        self._bounces: list[Suppress] = []
        self._accepted = 0

    def add(self, result: DeliveryResult, bounce: Suppress | None = None) -> None:
        self.results.append(result)
        self._unwritten.append(result)
        if bounce is not None:
            self._bounces.append(bounce)
        if result.status == DeliveryStatus.SENT:
            self._accepted += 1
            if self._accepted >= self.record_every:
                self.flush()

    def flush(self) -> None:
        results, bounces = self._unwritten, self._bounces
        self._unwritten, self._bounces, self._accepted = [], [], 0
        self.writer.write(results, bounces)
