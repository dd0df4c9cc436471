"""An edition (one per date and send slot) and its deliveries (one per subscriber)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow
from app.models.enums import str_enum


class EditionStatus(enum.StrEnum):
    DRAFT = "draft"
    SENDING = "sending"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    FINISHED = "finished"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"
    SKIPPED = "skipped"


class Edition(Base):
    __tablename__ = "edition"
    __table_args__ = (UniqueConstraint("edition_date", "slot"), Index(None, "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_date: Mapped[date] = mapped_column(Date)
    slot: Mapped[str] = mapped_column(String(32), default="daily")
    status: Mapped[EditionStatus] = mapped_column(
        str_enum(EditionStatus), default=EditionStatus.DRAFT
    )
    # arXiv ids of the candidate papers, in trending order.
    paper_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    pause_reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    deliveries: Mapped[list[Delivery]] = relationship(back_populates="edition", lazy="raise")


class Delivery(Base):
    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("edition_id", "subscriber_id"),
        Index(None, "edition_id", "status"),
        Index(None, "subscriber_id", "created_at"),
        # The send's rate (sent in the last 30 s) and, once over, its last send time,
        # without reading every sent row of a million-reader edition.
        Index(
            "ix_delivery_edition_id_sent_at_sent",
            "edition_id",
            "sent_at",
            postgresql_where=text("status = 'sent'"),
            sqlite_where=text("status = 'sent'"),
        ),
        # Recovery's "left sending past the lease" reads the rows in flight only,
        # not every delivery of every edition ever sent.
        Index(
            "ix_delivery_lease_expires_at_sending",
            "lease_expires_at",
            postgresql_where=text("status = 'sending'"),
            sqlite_where=text("status = 'sending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("edition.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscriber.id", ondelete="CASCADE"))
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    smtp_code: Mapped[int | None] = mapped_column(Integer, default=None)
    message_id: Mapped[str | None] = mapped_column(String(255), default=None)
    # What was sent: [{"arxiv_id", "score", "why", "section"}], and the URLs a click may go to.
    picks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    edition: Mapped[Edition] = relationship(back_populates="deliveries", lazy="raise")


class DeliveryTally(Base):
    """Changes in the number of an edition's deliveries in each state (PostgreSQL only).

    A statement-level trigger on ``delivery`` (see migration
    ``20261206_b7d41c2e9a53_delivery_tally``) adds one row per (edition, status)
    that a statement changed, with the change; an edition's counts are the sums.
    Rows are only ever inserted by writers, so no send ever waits on another, and
    ``app.editions.progress.fold_tallies`` folds them into one row per status
    now and then. Counting a million deliveries by status reads a few rows.
    """

    __tablename__ = "delivery_tally"
    __table_args__ = (Index(None, "edition_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # No foreign key: the rows of a deleted edition's deliveries still arrive
    # (and sum to zero) after the edition row is gone.
    edition_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    n: Mapped[int] = mapped_column(BigInteger)
