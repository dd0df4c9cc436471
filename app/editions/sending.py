"""The send loop for one chunk of deliveries: claim, rank, render, send, record.

A chunk (a few hundred delivery ids, one Celery task) is worked through in
batches of ``settings.send_batch_size``. Per batch, one transaction claims the
rows (pending -> sending, with a lease), loads the subscribers and re-checks
that each may still be mailed; then the messages go out back to back over the
process's one SMTP connection (``smtp_pipeline``: one round trip per message);
then one transaction records every outcome. This is a flow: it owns its
transactions, so it takes a session factory rather than a session.

While a batch is in flight, a message is only started if the batch's lease has
at least ``lease_margin`` left, so a live worker never sends a row that recovery
may already have handed to someone else.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import transaction, utcnow
from app.editions.actions import pause_edition
from app.editions.deliveries import (
    ClaimedDelivery,
    DeliveryResult,
    claim_deliveries,
    record_results,
    retry_delay,
)
from app.editions.digests import EditionKit, PreparedDigest, kit_for_edition, prepare_digests
from app.editions.service import finish_if_done
from app.feedback.links import ClickLinks, open_pixel_url
from app.mailer.compose import ComposedMessage, Composer
from app.mailer.errors import PermanentDeliveryError, TemporaryDeliveryError
from app.mailer.smtp_pipeline import Outcome, open_pipeline
from app.mailer.transports import FileTransport, SMTPTransport, transport_for
from app.models import (
    Delivery,
    DeliveryStatus,
    Edition,
    EditionStatus,
    Subscriber,
    SubscriberStatus,
    SuppressionReason,
)
from app.subscriptions.suppression import Suppress, suppress_addresses, suppressed_among
from app.subscriptions.validation import address_key

log = logging.getLogger(__name__)
STAGES = ("claim", "rank", "render", "send", "record")


class Throttle:
    """At most ``rate`` messages per second from this process (0 = no limit)."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next = clock()

    def wait(self) -> None:
        if not self.interval:
            return
        now = self._clock()
        if self._next > now:
            self._sleep(self._next - now)
            now = self._next
        self._next = max(self._next, now) + self.interval


@dataclass
class SendContext:
    """What one worker process keeps between chunks: one SMTP connection, caches, timings."""

    settings: Settings
    session_factory: sessionmaker[Session]
    transport: FileTransport | SMTPTransport | None = None
    kits: dict[int, EditionKit] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    def __post_init__(self) -> None:
        self.composer = Composer(self.settings)
        self.links = ClickLinks(self.settings.resolved_secret_key(), self.settings.base_url)
        self.throttle = Throttle(self.settings.send_rate_per_worker)

    def mail(self) -> FileTransport | SMTPTransport:
        if self.transport is None:
            self.transport = transport_for(self.settings.mail_url)
        return self.transport

    def kit(self, session: Session, edition: Edition) -> EditionKit:
        kit = self.kits.get(edition.id)
        if kit is None:
            if len(self.kits) > 8:
                self.kits.clear()
            kit = self.kits[edition.id] = kit_for_edition(session, edition, self.settings)
        return kit

    def close(self) -> None:
        transport, self.transport = self.transport, None
        if transport is not None:
            transport.close()


@dataclass
class ChunkReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    bounced: int = 0
    skipped: int = 0
    released: int = 0


class _Laps:
    def __init__(self, sink: dict[str, float]) -> None:
        self.sink = sink
        self.last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.sink[stage] = self.sink.get(stage, 0.0) + now - self.last
        self.last = now


def send_chunk(
    context: SendContext, *, edition_id: int, delivery_ids: Sequence[int]
) -> ChunkReport:
    """Send every still-pending delivery of ``delivery_ids``; safe to run twice."""
    report = ChunkReport()
    remaining = sorted(set(delivery_ids))
    settings = context.settings
    while remaining:
        laps = _Laps(context.timings)
        with transaction(context.session_factory) as session:
            now = utcnow()
            claimed = claim_deliveries(
                session,
                edition_id=edition_id,
                delivery_ids=remaining,
                limit=settings.send_batch_size,
                lease_seconds=settings.delivery_lease_seconds,
                now=now,
            )
            if not claimed:
                break
            claimed_at = time.monotonic()
            taken = {c.id for c in claimed}
            remaining = [i for i in remaining if i not in taken]
            edition = session.get_one(Edition, edition_id)
            kit = context.kit(session, edition)
            mailable, skipped = _mailable(session, claimed)
            laps("claim")
            digests = prepare_digests(
                session, kit=kit, subscribers=[s for _, s in mailable], settings=settings
            )
            laps("rank")
        results = [
            DeliveryResult(c.id, DeliveryStatus.SKIPPED, error=reason) for c, reason in skipped
        ]
        bounces = _send_batch(context, kit, mailable, digests, claimed_at, results, laps)
        with transaction(context.session_factory) as session:
            now = utcnow()
            record_results(session, results=results, now=now)
            suppress_addresses(session, bounces)
            _tally(report, results)
            if _batch_error_rate(results) > settings.send_pause_error_rate:
                _maybe_pause(session, edition_id, settings)
            finish_if_done(session, edition_id=edition_id)
        laps("record")
    return report


def _mailable(
    session: Session, claimed: Sequence[ClaimedDelivery]
) -> tuple[list[tuple[ClaimedDelivery, Subscriber]], list[tuple[ClaimedDelivery, str]]]:
    """Split the claimed rows into those we may mail and those to skip (and why)."""
    subscribers = {
        s.id: s
        for s in session.scalars(
            select(Subscriber).where(Subscriber.id.in_([c.subscriber_id for c in claimed]))
        )
    }
    suppressed = suppressed_among(session, (s.email for s in subscribers.values()))
    mailable, skipped = [], []
    for claim in claimed:
        subscriber = subscribers.get(claim.subscriber_id)
        if subscriber is None or subscriber.status != SubscriberStatus.ACTIVE:
            status = subscriber.status.value if subscriber else "deleted"
            skipped.append((claim, f"subscriber is {status}"))
        elif address_key(subscriber.email) in suppressed:
            skipped.append((claim, "address is on the suppression list"))
        else:
            mailable.append((claim, subscriber))
    return mailable, skipped


def _send_batch(
    context: SendContext,
    kit: EditionKit,
    mailable: Sequence[tuple[ClaimedDelivery, Subscriber]],
    digests: Sequence[PreparedDigest],
    claimed_at: float,
    results: list[DeliveryResult],
    laps: _Laps,
) -> list[Suppress]:
    settings = context.settings
    deadline = claimed_at + settings.delivery_lease_seconds - _lease_margin(settings)
    bounces: list[Suppress] = []
    pipeline = open_pipeline(context.mail())
    in_flight: dict[int, tuple[ClaimedDelivery, str, str, list[dict[str, Any]]]] = {}

    def settle(outcomes: list[Outcome]) -> None:
        for key, error in outcomes:
            claim, email, message_id, picks = in_flight.pop(key)
            if error is None:
                results.append(
                    DeliveryResult(
                        claim.id,
                        DeliveryStatus.SENT,
                        smtp_code=250,
                        message_id=message_id,
                        picks=picks,
                    )
                )
            elif isinstance(error, PermanentDeliveryError):
                results.append(
                    DeliveryResult(claim.id, DeliveryStatus.BOUNCED, str(error), error.code)
                )
                bounces.append(Suppress(email, SuppressionReason.HARD_BOUNCE, str(error), claim.id))
            else:
                results.append(_temporary(claim, error, settings))

    for (claim, subscriber), digest in zip(mailable, digests, strict=True):
        if time.monotonic() > deadline:
            # Out of lease: hand the row back rather than risk a duplicate.
            results.append(
                DeliveryResult(
                    claim.id,
                    DeliveryStatus.PENDING,
                    error="lease ran out before sending",
                    retry_at=utcnow(),
                    not_attempted=True,
                )
            )
            continue
        if not digest.items:
            # Every candidate was already sent to them: no empty digests.
            results.append(
                DeliveryResult(claim.id, DeliveryStatus.SKIPPED, error="no new papers for them")
            )
            continue
        message, picks = _compose(context, kit, claim, digest)
        laps("render")
        context.throttle.wait()
        in_flight[claim.id] = (claim, subscriber.email, message.message_id, picks)
        settle(pipeline.submit(claim.id, message.sender, subscriber.email, message.data))
        laps("send")
    settle(pipeline.finish())
    laps("send")
    return bounces


def _compose(
    context: SendContext, kit: EditionKit, claim: ClaimedDelivery, digest: PreparedDigest
) -> tuple[ComposedMessage, list[dict[str, Any]]]:
    links = context.links
    papers = kit.renderer.papers
    reader = digest.reader
    if context.settings.open_tracking:
        reader = replace(
            reader, open_pixel_url=open_pixel_url(links, context.settings.base_url, claim.id)
        )
    rendered = kit.renderer.render(reader, digest.items, links.url_maker(claim.id))
    message = context.composer.compose(
        rendered,
        to=digest.email,
        unsubscribe_url=reader.unsubscribe_url,
        message_id=context.composer.message_id(claim.id),
    )
    picks = digest.picks_record([papers[item.arxiv_id].links for item in digest.items])
    return message, picks


def _temporary(
    claim: ClaimedDelivery, error: TemporaryDeliveryError, settings: Settings
) -> DeliveryResult:
    if claim.attempts >= settings.delivery_max_attempts:
        return DeliveryResult(claim.id, DeliveryStatus.FAILED, str(error), error.code)
    retry_at: datetime = utcnow() + retry_delay(
        claim.attempts, settings.delivery_retry_base_seconds
    )
    return DeliveryResult(
        claim.id, DeliveryStatus.PENDING, str(error), error.code, retry_at=retry_at
    )


def _lease_margin(settings: Settings) -> float:
    return min(30.0, settings.delivery_lease_seconds / 3)


def _tally(report: ChunkReport, results: Sequence[DeliveryResult]) -> None:
    for result in results:
        if result.status == DeliveryStatus.SENT:
            report.sent += 1
        elif result.status == DeliveryStatus.BOUNCED:
            report.bounced += 1
        elif result.status == DeliveryStatus.FAILED:
            report.failed += 1
        elif result.status == DeliveryStatus.SKIPPED:
            report.skipped += 1
        elif result.not_attempted:
            report.released += 1
        else:
            report.retried += 1


def _is_error(result: DeliveryResult) -> bool:
    return result.status in (DeliveryStatus.BOUNCED, DeliveryStatus.FAILED) or (
        result.status == DeliveryStatus.PENDING and not result.not_attempted
    )


def _batch_error_rate(results: Sequence[DeliveryResult]) -> float:
    attempted = [r for r in results if r.status != DeliveryStatus.SKIPPED and not r.not_attempted]
    if not attempted:
        return 0.0
    return sum(1 for r in attempted if _is_error(r)) / len(attempted)


def _maybe_pause(session: Session, edition_id: int, settings: Settings) -> None:
    """Pause the edition when its error rate so far passes the threshold.

    Only checked after a bad batch (cheap in the normal case). Counted per
    delivery that has been tried: bounced, failed, or waiting for a retry.
    """
    counts = dict(
        session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.edition_id == edition_id, Delivery.attempts > 0)
            .group_by(Delivery.status)
        ).all()
    )
    errors = sum(counts.get(s, 0) for s in (DeliveryStatus.BOUNCED, DeliveryStatus.FAILED))
    errors += (
        session.scalar(
            select(func.count()).where(
                Delivery.edition_id == edition_id,
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.last_error.is_not(None),
            )
        )
        or 0
    )
    attempted = errors + counts.get(DeliveryStatus.SENT, 0)
    if (
        attempted < settings.send_pause_min_attempts
        or errors / attempted <= settings.send_pause_error_rate
    ):
        return
    edition = session.get_one(Edition, edition_id)
    if edition.status == EditionStatus.SENDING:
        reason = (
            f"paused automatically: {errors} of {attempted} deliveries failed "
            f"({errors / attempted:.0%} > {settings.send_pause_error_rate:.0%}); "
            "check the mail server, then resume"
        )
        pause_edition(session, edition_id=edition_id, reason=reason)
        log.warning("edition %s %s", edition_id, reason)
