"""What a reader told us about a paper: "more like this" or "fewer like this"."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow
from app.models.enums import str_enum


class FeedbackKind(enum.StrEnum):
    LIKE = "like"
    DISLIKE = "dislike"


class ReaderFeedback(Base):
    """One reader's latest word on one paper (a second click replaces the first)."""

    __tablename__ = "reader_feedback"
    __table_args__ = (UniqueConstraint("subscriber_id", "arxiv_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), index=True
    )
    arxiv_id: Mapped[str] = mapped_column(String(32))
    # The edition whose digest carried the link (0 or None: not from a digest);
    # indexed for the admin's likes and dislikes per edition.
    edition_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    kind: Mapped[FeedbackKind] = mapped_column(str_enum(FeedbackKind))
    # Where the paper stood in the reader's brought papers when "fewer like this" stopped
    # bringing it (None: it was not brought), so that Undo brings it back there.
    brought_position: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
