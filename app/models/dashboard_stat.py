"""Dashboard figures computed once and reused for a short while (the admin's cache).

Counting 100k subscribers or millions of deliveries on every page view would
make the overview slow; a background job (and any page that finds a figure
stale) stores the result here with the time it was computed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime, utcnow


class DashboardStat(Base):
    __tablename__ = "dashboard_stat"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
