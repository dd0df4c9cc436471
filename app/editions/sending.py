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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property, partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import transaction, utcnow, wait_out_outage
from app.editions.deliveries import (
    ClaimedDelivery,
    DeliveryResult,
    claim_deliveries,
    retry_delay,
)
from app.editions.digests import EditionKit, PreparedDigest, kit_for_edition, prepare_digests
from app.editions.pausing import batch_error_rate, pause_if_failing
from app.editions.recording import BatchRecorder, OutcomeWriter
from app.editions.service import finish_if_done
from app.editions.throttle import Throttle
from app.editions.upkeep import DeadRowWatch
from app.feedback.links import ClickLinks, open_pixel_url
from app.mailer.compose import ComposedMessage, Composer
from app.mailer.errors import PermanentDeliveryError, TemporaryDeliveryError, UnsendableAddress
from app.mailer.smtp_pipeline import Outcome, open_pipeline
from app.mailer.transports import FileTransport, SMTPTransport, transport_for
from app.models import (
    DeliveryStatus,
    Edition,
    Subscriber,
    SubscriberStatus,
    SuppressionReason,
)
from app.subscriptions.suppression import Suppress, suppressed_among
from app.subscriptions.validation import address_key

log = logging.getLogger(__name__)
STAGES = ("claim", "rank", "render", "send", "record")


@dataclass
class SendContext:
    """What one worker process keeps between chunks: one SMTP connection, caches, timings."""

    settings: Settings
    session_factory: sessionmaker[Session]
    transport: FileTransport | SMTPTransport | None = None
    kits: dict[int, EditionKit] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    dead_rows: DeadRowWatch = field(default_factory=DeadRowWatch)

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

    @cached_property
    def writer(self) -> OutcomeWriter:
        return OutcomeWriter(self.settings, self.session_factory)

    def close(self) -> None:
        transport, self.transport = self.transport, None
        if transport is not None:
            transport.close()
        if "writer" in self.__dict__:
            self.writer.close()


# What became of a chunk's deliveries: sent, bounced, failed, skipped, and pending ones
# either retried later or released (handed back untried when the lease ran short).
ChunkReport = Counter[str]


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
    """Send every still-pending delivery of ``delivery_ids``; safe to run twice.

    A database outage (a restart, a failover) is waited out at every step
    rather than failing the chunk: the rows stay ours while we wait.
    """
    report: ChunkReport = Counter()
    remaining = sorted(set(delivery_ids))
    settings = context.settings
    while remaining:
        laps = _Laps(context.timings)
        batch = wait_out_outage(
            partial(_claim_batch, context, edition_id, remaining, laps),
            patience_seconds=settings.database_outage_seconds,
            what=f"claiming deliveries of edition {edition_id}",
        )
        if batch is None:
            break
        taken = {claim.id for claim in batch.claimed}
        remaining = [i for i in remaining if i not in taken]
        recorder = BatchRecorder(context.writer)
        for claim, reason in batch.skipped:
            recorder.add(DeliveryResult(claim.id, DeliveryStatus.SKIPPED, error=reason))
        _send_batch(context, batch, recorder, laps)
        recorder.flush()
        _tally(report, recorder.results)
        wait_out_outage(
            partial(_close_batch, context, edition_id, recorder.results),
            patience_seconds=settings.database_outage_seconds,
            what=f"finishing a batch of edition {edition_id}",
        )
        laps("record")
    return report


@dataclass
class _Batch:
    claimed: list[ClaimedDelivery]
    claimed_at: float
    kit: EditionKit
    mailable: list[tuple[ClaimedDelivery, Subscriber]]
    skipped: list[tuple[ClaimedDelivery, str]]
    digests: list[PreparedDigest | None]


def _claim_batch(
    context: SendContext, edition_id: int, remaining: list[int], laps: _Laps
) -> _Batch | None:
    """Claim the next batch and rank its readers (one transaction), or None when done."""
    settings = context.settings
    with transaction(context.session_factory) as session:
        claimed = claim_deliveries(
            session,
            edition_id=edition_id,
            delivery_ids=remaining,
            limit=settings.send_batch_size,
            lease_seconds=settings.delivery_lease_seconds,
            now=utcnow(),
        )
        if not claimed:
            return None
        claimed_at = time.monotonic()
        edition = session.get_one(Edition, edition_id)
        kit = context.kit(session, edition)
        mailable, skipped = _mailable(session, claimed)
        laps("claim")
        digests = _prepare(session, kit, [s for _, s in mailable], settings)
        laps("rank")
    return _Batch(claimed, claimed_at, kit, mailable, skipped, digests)


def _prepare(
    session: Session, kit: EditionKit, subscribers: list[Subscriber], settings: Settings
) -> list[PreparedDigest | None]:
    """The batch's digests, ranked together; if that fails, one by one so a bad reader
    fails alone (``None`` in their place)."""
    try:
        return list(prepare_digests(session, kit=kit, subscribers=subscribers, settings=settings))
    except Exception:
        log.exception("ranking a batch failed; ranking its readers one by one")
    digests: list[PreparedDigest | None] = []
    for subscriber in subscribers:
        try:
            [digest] = prepare_digests(
                session, kit=kit, subscribers=[subscriber], settings=settings
            )
        except Exception:
            log.exception("cannot prepare the digest of subscriber %s", subscriber.id)
            digests.append(None)
        else:
            digests.append(digest)
    return digests


def _close_batch(context: SendContext, edition_id: int, results: list[DeliveryResult]) -> None:
    settings = context.settings
    with transaction(context.session_factory) as session:
        if batch_error_rate(results) > settings.send_pause_error_rate:
            pause_if_failing(session, edition_id, settings)
        finish_if_done(session, edition_id=edition_id)


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


def _send_batch(context: SendContext, batch: _Batch, recorder: BatchRecorder, laps: _Laps) -> None:
    settings = context.settings
    deadline = batch.claimed_at + settings.delivery_lease_seconds - _lease_margin(settings)
    pipeline = open_pipeline(context.mail())
    in_flight: dict[int, tuple[ClaimedDelivery, str, str, list[dict[str, Any]]]] = {}

    def settle(outcomes: list[Outcome]) -> None:
        for key, error in outcomes:
            claim, email, message_id, picks = in_flight.pop(key)
            if error is None:
                recorder.add(
                    DeliveryResult(
                        claim.id,
                        DeliveryStatus.SENT,
                        smtp_code=250,
                        message_id=message_id,
                        picks=picks,
                    )
                )
            elif isinstance(error, UnsendableAddress):
                # Not the recipient's doing (e.g. no SMTPUTF8 on our relay): fails, no bounce.
                recorder.add(DeliveryResult(claim.id, DeliveryStatus.FAILED, str(error)))
            elif isinstance(error, PermanentDeliveryError):
                recorder.add(
                    DeliveryResult(claim.id, DeliveryStatus.BOUNCED, str(error), error.code),
                    Suppress(email, SuppressionReason.HARD_BOUNCE, str(error), claim.id),
                )
            else:
                recorder.add(_temporary(claim, error, settings))

    for (claim, subscriber), digest in zip(batch.mailable, batch.digests, strict=True):
        if time.monotonic() > deadline:
            # Out of lease: hand the row back rather than risk a duplicate.
            recorder.add(
                DeliveryResult(
                    claim.id,
                    DeliveryStatus.PENDING,
                    error="lease ran out before sending",
                    retry_at=utcnow(),
                    not_attempted=True,
                )
            )
            continue
        if digest is None:
            recorder.add(
                DeliveryResult(claim.id, DeliveryStatus.FAILED, error="digest could not be made")
            )
            continue
        if not digest.items:
            # Every candidate was already sent to them: no empty digests.
            recorder.add(
                DeliveryResult(claim.id, DeliveryStatus.SKIPPED, error="no new papers for them")
            )
            continue
        try:
            message, picks = _compose(context, batch.kit, claim, digest)
        except Exception as error:
            # One digest that will not render or encode fails alone; the batch goes on
            # (the recorder logs it, with the delivery's id).
            reason = f"cannot compose this digest: {error.__class__.__name__}: {error}"
            recorder.add(DeliveryResult(claim.id, DeliveryStatus.FAILED, error=reason[:500]))
            continue
        laps("render")
        context.throttle.wait()
        in_flight[claim.id] = (claim, subscriber.email, message.message_id, picks)
        settle(pipeline.submit(claim.id, message.sender, message.recipient, message))
        laps("send")
    settle(pipeline.finish())
    laps("send")


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
    link_for = links.url_maker(claim.id, digest.token_version)
    rendered = kit.renderer.render(reader, digest.items, link_for)
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
        if result.status != DeliveryStatus.PENDING:
            report[result.status.value] += 1
        else:
            report["released" if result.not_attempted else "retried"] += 1
