"""Feedback from a delivered digest: clicks, opens, bounces and complaints."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow
from app.models.enums import str_enum


class EventKind(enum.StrEnum):
    CLICK = "click"
    OPEN = "open"
    BOUNCE = "bounce"
    COMPLAINT = "complaint"


class Event(Base):
    __tablename__ = "event"
    __table_args__ = (
        Index(None, "subscriber_id", "kind"),
        Index(None, "delivery_id"),
        Index(None, "kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind))
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriber.id", ondelete="CASCADE"), default=None
    )
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery.id", ondelete="SET NULL"), default=None
    )
    arxiv_id: Mapped[str | None] = mapped_column(String(32), default=None)
    url: Mapped[str | None] = mapped_column(Text, default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
