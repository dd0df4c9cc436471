"""A person who asked for the digest, with their preferences and consent record."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow
from app.models.enums import str_enum


class SubscriberStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    PAUSED = "paused"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


class Frequency(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


class Subscriber(Base):
    __tablename__ = "subscriber"
    __table_args__ = (
        Index(None, "status", "created_at"),
        Index(None, "created_at"),
        # Admin search is an email prefix (LIKE 'abc%'); with a non-C collation only
        # a text_pattern_ops index can answer it (elsewhere a plain index does).
        Index("ix_subscriber_email_pattern", "email", postgresql_ops={"email": "text_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    status: Mapped[SubscriberStatus] = mapped_column(
        str_enum(SubscriberStatus), default=SubscriberStatus.PENDING
    )
    interests: Mapped[str] = mapped_column(Text, default="")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    seed_papers: Mapped[list[str]] = mapped_column(JSON, default=list)
    frequency: Mapped[Frequency] = mapped_column(str_enum(Frequency), default=Frequency.DAILY)
    weekly_day: Mapped[int] = mapped_column(Integer, default=0)  # 0 = Monday
    send_hour: Mapped[int] = mapped_column(Integer, default=7)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    digest_size: Mapped[int | None] = mapped_column(Integer, default=None)
    # Bumping the version revokes every token issued before.
    token_version: Mapped[int] = mapped_column(Integer, default=1)

    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    consent_ip: Mapped[str | None] = mapped_column(String(64), default=None)
    consent_source: Mapped[str | None] = mapped_column(String(200), default=None)
    consent_user_agent: Mapped[str | None] = mapped_column(String(400), default=None)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def __repr__(self) -> str:
        return f"<Subscriber {self.id} {self.status.value}>"
