"""Reading stored papers back, normalised (``paperboy papers --json`` and friends)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.paper import Paper, PaperFeature


def featured_papers(session: Session, *, day: date) -> list[tuple[Paper, date]]:
    """The papers featured on ``day``, most upvoted first."""
    rows = session.execute(
        select(Paper, PaperFeature.featured_on)
        .join(PaperFeature, PaperFeature.paper_id == Paper.id)
        .where(PaperFeature.featured_on == day)
        .order_by(Paper.upvotes.desc(), Paper.arxiv_id)
    )
    return [(paper, featured_on) for paper, featured_on in rows]


def paper_as_json(paper: Paper, *, featured_on: date | None) -> dict[str, Any]:
    """The public, normalised shape of a stored paper (times in UTC ISO 8601)."""
    return {
        "arxiv_id": paper.arxiv_id,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": list(paper.authors),
        "organization": paper.organization,
        "published_at": paper.published_at.isoformat() if paper.published_at else None,
        "featured_on": featured_on.isoformat() if featured_on else None,
        "upvotes": paper.upvotes,
        "num_comments": paper.num_comments,
        "github_repo": paper.github_repo,
        "github_stars": paper.github_stars,
        "project_page": paper.project_page,
        "ai_summary": paper.ai_summary,
        "ai_keywords": list(paper.ai_keywords),
        "categories": list(paper.categories),
        "primary_category": paper.primary_category,
        "arxiv_comment": paper.arxiv_comment,
        "pdf_url": paper.pdf_url,
        "hf_url": paper.hf_url,
    }
