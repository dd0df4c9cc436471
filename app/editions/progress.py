"""Where a send stands: the one definition of an edition's progress.

``paperboy send``'s bar, the admin overview, the edition page and the progress
JSON all read ``edition_progress``, so they show the same numbers for the same
moment: counts by delivery state (which always add up to the recipients, one
delivery row per recipient), the rate over the last ``RATE_WINDOW_SECONDS``
while sending (the average over the whole send once it is over), and an ETA.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, literal_column, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.editions.errors import EditionNotFound
from app.models import Delivery, DeliveryStatus, DeliveryTally, Edition, EditionStatus, Subscriber

RATE_WINDOW_SECONDS = 30.0
# An edition's tally rows are folded into one per status once there are this
# many: the sum stays a read of a few thousand rows at most, however the send
# loop groups its writes.
FOLD_TALLIES_AT = 2000
# Written into the SQL rather than bound: a prepared statement's generic plan
# cannot prove a bound ``status = $1`` matches the partial index on sent
# deliveries, and would read every sent row instead.
_IS_SENT = Delivery.status == literal_column(f"'{DeliveryStatus.SENT.value}'")
OVER = (EditionStatus.FINISHED, EditionStatus.CANCELLED)


@dataclass
class DeliveryCounts:
    """How many of an edition's deliveries are in each state."""

    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    bounced: int = 0
    skipped: int = 0

    @property
    def recipients(self) -> int:
        return self.pending + self.sending + self.sent + self.failed + self.bounced + self.skipped

    @property
    def done(self) -> int:
        """Deliveries that will not be attempted again (unless failures are retried)."""
        return self.sent + self.failed + self.bounced + self.skipped

    @property
    def outstanding(self) -> int:
        return self.pending + self.sending

    @property
    def percent_done(self) -> float:
        return 100.0 * self.done / self.recipients if self.recipients else 0.0

    def as_dict(self) -> dict[str, int]:
        return {status.value: getattr(self, status.value) for status in DeliveryStatus}


def delivery_counts(session: Session, edition_ids: list[int]) -> dict[int, DeliveryCounts]:
    """Delivery counts by status for each of ``edition_ids`` (editions without rows get zeros).

    On PostgreSQL the sums of ``delivery_tally`` (kept by a trigger on every
    statement that writes deliveries), so a page showing a million-reader send in
    flight reads a few rows, not a million. Elsewhere ``GROUP BY (edition_id,
    status)``, answered by the ``ix_delivery_edition_id_status`` index.
    """
    counts = {edition_id: DeliveryCounts() for edition_id in edition_ids}
    if not edition_ids:
        return counts
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            select(
                DeliveryTally.edition_id,
                DeliveryTally.status,
                func.sum(DeliveryTally.n),
                func.count(),
            )
            .where(DeliveryTally.edition_id.in_(edition_ids))
            .group_by(DeliveryTally.edition_id, DeliveryTally.status)
        ).all()
        rows_per_edition: dict[int, int] = {}
        for edition_id, status, number, tally_rows in rows:
            setattr(counts[edition_id], DeliveryStatus(status).value, int(number))
            rows_per_edition[edition_id] = rows_per_edition.get(edition_id, 0) + tally_rows
        fold_tallies(
            session, [e for e, many in rows_per_edition.items() if many >= FOLD_TALLIES_AT]
        )
        return counts
    for edition_id, status, number in session.execute(
        select(Delivery.edition_id, Delivery.status, func.count())
        .where(Delivery.edition_id.in_(edition_ids))
        .group_by(Delivery.edition_id, Delivery.status)
    ):
        setattr(counts[edition_id], DeliveryStatus(status).value, number)
    return counts


def fold_tallies(session: Session, edition_ids: list[int]) -> None:
    """Replace these editions' tally rows with one row per status holding their sum.

    Writers only insert, so this deletes exactly the rows it read and adds their
    sums; a concurrent fold skips the rows this one took. PostgreSQL only.
    """
    if not edition_ids:
        return
    folded = (
        delete(DeliveryTally)
        .where(DeliveryTally.edition_id.in_(edition_ids))
        .returning(DeliveryTally.edition_id, DeliveryTally.status, DeliveryTally.n)
        .cte("folded")
    )
    total = func.sum(folded.c.n)
    session.execute(
        insert(DeliveryTally).from_select(
            ["edition_id", "status", "n"],
            select(folded.c.edition_id, folded.c.status, total)
            .group_by(folded.c.edition_id, folded.c.status)
            .having(total != literal_column("0")),
        )
    )


@dataclass(frozen=True)
class EditionProgress:
    """An edition's counts, how fast it goes (messages per second) and when it should be done."""

    edition: Edition
    counts: DeliveryCounts
    rate_per_second: float | None
    eta_seconds: int | None

    @property
    def edition_id(self) -> int:
        return self.edition.id

    @property
    def status(self) -> EditionStatus:
        return self.edition.status

    @property
    def pause_reason(self) -> str | None:
        return self.edition.pause_reason

    @property
    def finished(self) -> bool:
        return self.edition.status in OVER

    @property
    def rate_per_minute(self) -> float | None:
        return None if self.rate_per_second is None else self.rate_per_second * 60.0

    @property
    def eta_text(self) -> str:
        """The ETA as a person reads it (the admin page's script formats it the same way)."""
        return duration_text(self.eta_seconds)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.edition.id,
            "status": self.edition.status.value,
            "recipients": self.counts.recipients,
            **self.counts.as_dict(),
            "percent": round(self.counts.percent_done, 1),
            "rate_per_second": (
                None if self.rate_per_second is None else round(self.rate_per_second, 2)
            ),
            "rate_per_minute": (
                None if self.rate_per_minute is None else round(self.rate_per_minute, 1)
            ),
            "eta_seconds": self.eta_seconds,
            "finished": self.finished,
        }


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{round(seconds)} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def edition_progress(
    session: Session, *, edition_id: int, now: datetime | None = None
) -> EditionProgress:
    """The progress of edition ``edition_id`` (raises ``EditionNotFound``)."""
    edition = session.get(Edition, edition_id)
    if edition is None:
        raise EditionNotFound(f"there is no edition {edition_id}")
    session.refresh(edition)
    return progress_of(session, edition, now=now)


def progress_of(
    session: Session,
    edition: Edition,
    *,
    counts: DeliveryCounts | None = None,
    now: datetime | None = None,
) -> EditionProgress:
    """Progress of ``edition``; ``counts`` when the caller has just counted them."""
    counts = counts or delivery_counts(session, [edition.id])[edition.id]
    now = now or utcnow()
    rate: float | None = None
    eta: int | None = None
    if edition.started_at is not None and edition.status in OVER:
        # Over: the average of the whole send, so a finished edition still says how fast it went.
        last = session.scalar(
            select(func.max(Delivery.sent_at)).where(Delivery.edition_id == edition.id, _IS_SENT)
        )
        elapsed = ((last or edition.finished_at or now) - edition.started_at).total_seconds()
        rate = counts.sent / elapsed if elapsed > 0 and counts.sent else None
    elif edition.started_at is not None:
        window = max(1.0, min(RATE_WINDOW_SECONDS, (now - edition.started_at).total_seconds()))
        recent = (
            session.scalar(
                select(func.count()).where(
                    Delivery.edition_id == edition.id,
                    _IS_SENT,
                    Delivery.sent_at >= now - timedelta(seconds=window),
                )
            )
            or 0
        )
        rate = recent / window
        if rate > 0:
            eta = round(counts.outstanding / rate)
    return EditionProgress(edition=edition, counts=counts, rate_per_second=rate, eta_seconds=eta)


def failed_deliveries(
    session: Session, *, edition_id: int, limit: int = 20
) -> list[tuple[str, DeliveryStatus, str | None]]:
    """(address, status, reason) of the edition's failed and bounced deliveries, first ``limit``."""
    rows = session.execute(
        select(Subscriber.email, Delivery.status, Delivery.last_error)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(
            Delivery.edition_id == edition_id,
            Delivery.status.in_([DeliveryStatus.FAILED, DeliveryStatus.BOUNCED]),
        )
        .order_by(Delivery.id)
        .limit(limit)
    )
    return [(email, DeliveryStatus(status), error) for email, status, error in rows]


@dataclass(frozen=True)
class RetryWait:
    """An edition's deliveries that were tried, failed for now and wait for their next try."""

    deliveries: int
    last_error: str | None
    next_attempt_at: datetime | None


def waiting_to_retry(session: Session, *, edition_id: int) -> RetryWait:
    """What a send that seems to stand still is waiting for (a mail server that refused)."""
    count, next_at, error = session.execute(
        select(
            func.count(), func.min(Delivery.next_attempt_at), func.max(Delivery.last_error)
        ).where(
            Delivery.edition_id == edition_id,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.last_error.is_not(None),
        )
    ).one()
    return RetryWait(int(count or 0), error, next_at)
