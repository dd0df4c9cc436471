"""Outcomes made durable as the mail server accepts them (duplicates bounded by the wire).

A batch of deliveries is claimed and rendered together, but each outcome is
handed to the worker's ``OutcomeWriter`` as soon as it settles (right after the
server's 250 for an accepted message). At most ``send_record_every`` outcomes
(1 by default) are ever handed over and not yet written: the send loop waits
before handing over one more. A worker killed with ``kill -9`` therefore
re-sends, after the lease, at most the messages it had on the wire plus those
``send_record_every`` accepted but not yet written, instead of a whole batch.

On PostgreSQL the writes happen on a background thread with its own
autocommit connection and ``synchronous_commit = off``, while the send loop
renders and sends the next message: the round trip to the database overlaps
the round trip to the mail server instead of adding to it, and whatever piled
up during one write goes out in the next one. That is safe here: a killed
*worker* loses nothing the server has acknowledged; only a crash of the
database server itself could drop the last fraction of a second of commits,
which would leave those rows ``sending`` to be re-sent after their lease (a
possible duplicate, never a lost digest). A group with a bounce (which also
suppresses the address) uses an ordinary transaction; SQLite writes in the
send loop itself. Every write waits out a database outage
(``wait_out_outage``); a write that still fails is raised in the send loop at
its next hand-over or at ``settle``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import transaction, utcnow, wait_out_outage
from app.editions.deliveries import DeliveryResult, record_results
from app.subscriptions.suppression import Suppress, suppress_addresses

log = logging.getLogger(__name__)
Outcome = tuple[DeliveryResult, Suppress | None]


class OutcomeWriter:
    """One worker's writer of delivery outcomes (one per process, kept between chunks)."""

    def __init__(self, settings: Settings, session_factory: sessionmaker[Session]) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.window = max(1, settings.send_record_every)
        bind = session_factory.kw.get("bind")
        self._engine = bind if isinstance(bind, Engine) else None
        self._background = self._engine is not None and self._engine.dialect.name == "postgresql"
        self._connection: Connection | None = None
        self._queued: list[Outcome] = []  # handed over, not yet being written
        self._writing = 0  # being written by the background thread
        self._failure: BaseException | None = None
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closing = False

    def submit(self, result: DeliveryResult, bounce: Suppress | None = None) -> None:
        """Hand one outcome over; waits while ``window`` outcomes are still unwritten."""
        if not self._background:
            self._queued.append((result, bounce))
            if len(self._queued) >= self.window:
                self.settle()
            return
        with self._changed:
            self._raise_failure()
            while len(self._queued) + self._writing >= self.window:
                self._changed.wait()
                self._raise_failure()
            self._queued.append((result, bounce))
            self._changed.notify_all()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="paperboy-outcomes", daemon=True)
            self._thread.start()

    def settle(self) -> None:
        """Return once every outcome handed over is written (or raise why it could not be)."""
        if not self._background:
            outcomes, self._queued = self._queued, []
            self._write(outcomes)
            return
        with self._changed:
            while (self._queued or self._writing) and self._failure is None:
                self._changed.wait()
            self._raise_failure()

    def close(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            with self._changed:
                self._closing = True
                self._changed.notify_all()
            thread.join(timeout=60)
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _raise_failure(self) -> None:
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._queued and not self._closing:
                    self._changed.wait()
                if not self._queued:
                    return
                outcomes, self._queued = self._queued, []
                self._writing = len(outcomes)
            failure: BaseException | None = None
            try:
                self._write(outcomes)
            except BaseException as error:  # raised in the send loop, which owns the rows
                log.exception("recording %d delivery outcomes failed", len(outcomes))
                failure = error
            with self._changed:
                self._writing = 0
                if failure is not None:
                    self._failure = failure
                self._changed.notify_all()

    def _write(self, outcomes: Sequence[Outcome]) -> None:
        if not outcomes:
            return
        results = [result for result, _ in outcomes]
        bounces = [bounce for _, bounce in outcomes if bounce is not None]
        wait_out_outage(
            lambda: self._write_once(results, bounces),
            patience_seconds=self.settings.database_outage_seconds,
            what="recording deliveries",
        )

    def _write_once(self, results: Sequence[DeliveryResult], bounces: Sequence[Suppress]) -> None:
        if self._background and not bounces:
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


class BatchRecorder:
    """One batch's outcomes: each handed to the writer as it settles, all kept for the tally."""

    def __init__(self, writer: OutcomeWriter) -> None:
        self.writer = writer
        self.results: list[DeliveryResult] = []  # every outcome of the batch

    def add(self, result: DeliveryResult, bounce: Suppress | None = None) -> None:
        self.results.append(result)
        self.writer.submit(result, bounce)

    def flush(self) -> None:
        """Every outcome of the batch is durable once this returns."""
        self.writer.settle()
