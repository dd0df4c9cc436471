"""Search over every stored paper, and a paper's neighbours, ranked by the digest ranker.

Two steps. The database's full-text index (``tsvector`` + GIN on PostgreSQL,
FTS5 on SQLite; migration ``7c3e91d2a4f0``) retrieves up to ``CANDIDATES``
papers sharing a word with the query (any word: recall matters, the ranker
orders them). Then ``app.ranking.search`` ranks them with the digest ranker
(TF-IDF + latent similarity, the trending blend, diversity), the query standing
in for a subscriber's interests. The ranker's index and latent space are fitted
on the rolling corpus once per process and refitted when new papers arrive.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sqlalchemy import column, func, literal_column, select, table
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.editions.picks import recent_corpus
from app.models import Paper, PaperFeature
from app.papers.cards import PaperCard, card_for
from app.ranking.candidates import CandidatePaper
from app.ranking.search import SearchSpace, fit_search_space, rank_query, similar_papers

CANDIDATES = 200
RESULTS = 20
MAX_QUERY_WORDS = 16
MAX_QUERY_CHARS = 200
CORPUS_DAYS = 30
SearchPeriod = Literal["all", "year", "month", "week"]
PERIODS: dict[str, tuple[str, int | None]] = {
    "all": ("Any time", None),
    "year": ("Past year", 365),
    "month": ("Past month", 31),
    "week": ("Past week", 7),
}
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SearchResults:
    query: str
    period: str
    cards: list[PaperCard]
    matched: int


def query_words(query: str) -> list[str]:
    """The query's distinct content words, lower-cased, at most ``MAX_QUERY_WORDS``."""
    words = _WORD.findall(query[:MAX_QUERY_CHARS].lower())
    kept = [w for w in dict.fromkeys(words) if w not in ENGLISH_STOP_WORDS and len(w) > 1]
    return kept[:MAX_QUERY_WORDS]


def retrieve(
    session: Session, words: Sequence[str], *, since: date | None, limit: int = CANDIDATES
) -> list[int]:
    """Ids of papers sharing any of ``words``, best full-text match first."""
    if not words:
        return []
    if session.get_bind().dialect.name == "postgresql":
        vector: ColumnElement[Any] = literal_column("paper.search_vector")
        query = func.websearch_to_tsquery(
            literal_column("'english'::regconfig"), " or ".join(words)
        )
        paper_id: ColumnElement[Any] = Paper.__table__.c.id
        statement = (
            select(paper_id)
            .where(vector.op("@@")(query))
            .order_by(func.ts_rank(vector, query).desc(), paper_id)
        )
    else:
        fts = table("paper_fts", column("rowid"))
        paper_id = fts.c.rowid
        # Words are \w+ only, so quoting each makes a safe FTS5 query.
        match = " OR ".join(f'"{w}"' for w in words)
        statement = (
            select(paper_id)
            .where(literal_column("paper_fts").op("MATCH")(match))
            .order_by(func.bm25(literal_column("paper_fts"), 2.0, 1.0), paper_id)
        )
    if since is not None:
        recent = select(PaperFeature.paper_id).where(PaperFeature.featured_on >= since)
        statement = statement.where(paper_id.in_(recent))
    return [int(row[0]) for row in session.execute(statement.limit(limit))]


def _latest_features(session: Session, paper_ids: Sequence[int]) -> dict[int, date]:
    if not paper_ids:
        return {}
    rows = session.execute(
        select(PaperFeature.paper_id, func.max(PaperFeature.featured_on))
        .where(PaperFeature.paper_id.in_(list(paper_ids)))
        .group_by(PaperFeature.paper_id)
    )
    return {paper_id: day for paper_id, day in rows}


def _candidates(session: Session, paper_ids: Sequence[int]) -> dict[int, Paper]:
    if not paper_ids:
        return {}
    return {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_(list(paper_ids))))}


def candidate_of(paper: Paper, featured_on: date | None) -> CandidatePaper:
    """The ranker's view of a stored paper (no upvote velocity: search is not live)."""
    return CandidatePaper(
        arxiv_id=paper.arxiv_id,
        title=paper.title,
        abstract=paper.abstract or "",
        ai_keywords=list(paper.ai_keywords or []),
        ai_summary=paper.ai_summary,
        upvotes=paper.upvotes,
        github_stars=paper.github_stars,
        num_comments=paper.num_comments,
        published_at=paper.published_at,
        featured_on=featured_on,
        authors=list(paper.authors or []),
    )


_spaces: dict[Hashable, SearchSpace] = {}
_spaces_lock = threading.Lock()


def search_space(session: Session, *, corpus_days: int = CORPUS_DAYS) -> SearchSpace:
    """The ranker's index and latent space on the rolling corpus, fitted once per process
    and again when papers are added or featured (the key changes)."""
    latest = session.scalar(select(func.max(PaperFeature.featured_on)))
    key = (
        session.get_bind().engine.url.render_as_string(),
        session.scalar(select(func.max(Paper.id))),
        session.scalar(select(func.max(PaperFeature.id))),
        corpus_days,
    )
    with _spaces_lock:
        space = _spaces.get(key)
        if space is None:
            corpus = recent_corpus(
                session, until=latest or datetime.now(UTC).date(), days=corpus_days
            )
            space = fit_search_space(corpus)
            _spaces.clear()  # one fit per process: the newest
            _spaces[key] = space
    return space


def search(
    session: Session,
    query: str,
    *,
    period: str,
    now: datetime,
    corpus_days: int = CORPUS_DAYS,
    k: int = RESULTS,
) -> SearchResults:
    """The papers the digest ranker would pick for ``query`` among those the index finds."""
    period = period if period in PERIODS else "all"
    days = PERIODS[period][1]
    since = None if days is None else (now - timedelta(days=days)).date()
    ids = retrieve(session, query_words(query), since=since)
    if not ids:
        return SearchResults(query, period, [], 0)
    papers = _candidates(session, ids)
    featured = _latest_features(session, ids)
    candidates = [candidate_of(papers[i], featured.get(i)) for i in ids if i in papers]
    picks = rank_query(
        search_space(session, corpus_days=corpus_days),
        candidates,
        query[:MAX_QUERY_CHARS],
        now=now,
        k=k,
    )
    by_arxiv = {p.arxiv_id: p for p in papers.values()}
    cards = [
        card_for(
            by_arxiv[pick.arxiv_id],
            rank=n,
            featured_on=featured.get(by_arxiv[pick.arxiv_id].id),
            readings=[],
        )
        for n, pick in enumerate(picks, start=1)
    ]
    return SearchResults(query, period, cards, len(ids))


def similar_cards(
    session: Session, paper: Paper, *, now: datetime, k: int, corpus_days: int = CORPUS_DAYS
) -> list[PaperCard]:
    """The ``k`` papers most like ``paper``, as the ranker sees them (a seed paper)."""
    words = query_words(" ".join([paper.title, *(paper.ai_keywords or [])]))
    ids = [i for i in retrieve(session, words, since=None, limit=CANDIDATES) if i != paper.id]
    if not ids:
        return []
    papers = _candidates(session, ids)
    featured = _latest_features(session, [*ids, paper.id])
    candidates = [candidate_of(papers[i], featured.get(i)) for i in ids if i in papers]
    picks = similar_papers(
        search_space(session, corpus_days=corpus_days),
        candidate_of(paper, featured.get(paper.id)),
        candidates,
        now=now,
        k=k,
    )
    by_arxiv = {p.arxiv_id: p for p in papers.values()}
    return [
        card_for(
            by_arxiv[pick.arxiv_id],
            rank=n,
            featured_on=featured.get(by_arxiv[pick.arxiv_id].id),
            readings=[],
        )
        for n, pick in enumerate(picks, start=1)
    ]
