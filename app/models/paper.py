"""A paper (one row per arXiv id), the days it was featured, upvote snapshots, and the
arXiv lookups of papers readers brought before we had them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow


class Paper(Base):
    __tablename__ = "paper"

    id: Mapped[int] = mapped_column(primary_key=True)
    arxiv_id: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    organization: Mapped[str | None] = mapped_column(String(200), default=None)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    upvotes: Mapped[int] = mapped_column(Integer, default=0)
    num_comments: Mapped[int] = mapped_column(Integer, default=0)
    github_repo: Mapped[str | None] = mapped_column(String(500), default=None)
    github_stars: Mapped[int | None] = mapped_column(Integer, default=None)
    project_page: Mapped[str | None] = mapped_column(String(500), default=None)
    thumbnail: Mapped[str | None] = mapped_column(String(500), default=None)
    ai_summary: Mapped[str | None] = mapped_column(Text, default=None)
    ai_keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    primary_category: Mapped[str | None] = mapped_column(String(32), default=None)
    arxiv_comment: Mapped[str | None] = mapped_column(Text, default=None)
    pdf_url: Mapped[str | None] = mapped_column(String(500), default=None)
    enriched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    features: Mapped[list[PaperFeature]] = relationship(
        back_populates="paper", lazy="raise", cascade="all, delete-orphan"
    )

    @property
    def hf_url(self) -> str:
        return f"https://huggingface.co/papers/{self.arxiv_id}"


class PaperFeature(Base):
    """One day a paper was featured on Daily Papers (a paper can be featured twice)."""

    __tablename__ = "paper_feature"
    __table_args__ = (UniqueConstraint("paper_id", "featured_on"), Index(None, "featured_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"))
    featured_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The day's upvote readings, [seconds since the day's start, upvotes], oldest first:
    # derived from the snapshots by ``app.ingest.curves.refresh_curves``.
    upvote_curve: Mapped[list[list[float]] | None] = mapped_column(JSON, default=None)

    paper: Mapped[Paper] = relationship(back_populates="features", lazy="raise")


class PaperSnapshot(Base):
    """Upvotes, stars and comments as seen by one fetch (the trend over the day)."""

    __tablename__ = "paper_snapshot"
    __table_args__ = (Index(None, "paper_id", "fetched_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("paper.id", ondelete="CASCADE"))
    ingest_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("ingest_run.id", ondelete="SET NULL"), default=None
    )
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    upvotes: Mapped[int] = mapped_column(Integer, default=0)
    github_stars: Mapped[int | None] = mapped_column(Integer, default=None)
    num_comments: Mapped[int] = mapped_column(Integer, default=0)


class PaperLookup(Base):
    """An arXiv id a reader brought that is not (yet) a stored paper: waiting for arXiv.

    The ``ingest.fetch_brought_papers`` job looks waiting ids up and stores what arXiv
    knows as papers (the row then goes); an id arXiv answered without is kept with
    ``missing_at`` set, so the reader is told and it is not asked for again.
    """

    __tablename__ = "paper_lookup"

    id: Mapped[int] = mapped_column(primary_key=True)
    arxiv_id: Mapped[str] = mapped_column(String(32), unique=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_tried_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    missing_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
