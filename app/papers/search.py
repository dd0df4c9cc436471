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
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sqlalchemy import Select, column, func, literal_column, select, table
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.editions.ranking_inputs import recent_corpus
from app.models import Paper, PaperFeature
from app.papers.cards import PaperCard, card_for
from app.ranking.candidates import CandidatePaper, Pick, candidate_from
from app.ranking.search import (
    SearchSpace,
    fit_search_space,
    rank_query,
    shortlist,
    similar_papers,
)

# Candidates for the ranker: this many from the rolling corpus, and as many older ones.
CANDIDATES = 60
RESULTS = 20
# Results scoring below this share of the best one are left out.
RELEVANT_SHARE = 0.2
# "Similar papers" looks among this many recent papers and as many older ones.
SIMILAR_OLDER = 10
MAX_QUERY_WORDS = 16
MAX_QUERY_CHARS = 200
CORPUS_DAYS = 30
# Words in at most this share of the rolling corpus bound a retrieval (see ``retrieve``).
RARE_SHARE = 0.02
RARE_WORDS = 3
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
    considered: int  # candidates the ranker ordered


def query_words(query: str) -> list[str]:
    """The query's distinct content words, lower-cased, at most ``MAX_QUERY_WORDS``."""
    words = _WORD.findall(query[:MAX_QUERY_CHARS].lower())
    kept = [w for w in dict.fromkeys(words) if w not in ENGLISH_STOP_WORDS and len(w) > 1]
    return kept[:MAX_QUERY_WORDS]


def _matching(
    session: Session, words: Sequence[str], *, every: bool, ranked: bool, since: date | None
) -> Select[Any]:
    """Papers containing every (or any) of ``words``: best match or newest first."""
    if session.get_bind().dialect.name == "postgresql":
        vector: ColumnElement[Any] = literal_column("paper.search_vector")
        query = func.websearch_to_tsquery(
            literal_column("'english'::regconfig"), (" " if every else " or ").join(words)
        )
        paper_id: ColumnElement[Any] = Paper.__table__.c.id
        statement = select(paper_id).where(vector.op("@@")(query))
        best: ColumnElement[Any] = func.ts_rank(vector, query).desc()
    else:
        fts = table("paper_fts", column("rowid"))
        paper_id = fts.c.rowid
        # Words are \w+ only, so quoting each makes a safe FTS5 query.
        match = (" AND " if every else " OR ").join(f'"{w}"' for w in words)
        statement = select(paper_id).where(literal_column("paper_fts").op("MATCH")(match))
        best = func.bm25(literal_column("paper_fts"), 2.0, 1.0)
    if since is not None:
        recent = select(PaperFeature.paper_id).where(PaperFeature.featured_on >= since)
        statement = statement.where(paper_id.in_(recent))
    if ranked:
        return statement.order_by(best, paper_id)
    # Newest first, by an expression: PostgreSQL then finds the few matches through the
    # GIN index instead of walking the primary key backwards through the whole table.
    return statement.order_by((paper_id + 0).desc())


def retrieve(
    session: Session,
    words: Sequence[str],
    *,
    rare: Sequence[str],
    since: date | None,
    limit: int = CANDIDATES,
) -> list[int]:
    """Ids of up to ``limit`` papers for the ranker to order.

    First the papers with every word, best full-text match first; then, to fill up,
    the newest papers with any of the ``rare`` words. Ranking every paper that
    shares a common word ("model") would read most of the archive; a rare word
    bounds the work, and the ranker puts the best of these first anyway. With no
    rare word, the newest papers with every word.
    """
    if not words:
        return []

    def ids(statement: Select[Any]) -> list[int]:
        return [int(row[0]) for row in session.execute(statement.limit(limit))]

    found = ids(_matching(session, words, every=True, ranked=bool(rare), since=since))
    if rare and len(found) < limit:
        seen = set(found)
        more = ids(_matching(session, rare, every=False, ranked=False, since=since))
        found += [i for i in more if i not in seen][: limit - len(found)]
    return found


def _latest_features(session: Session, paper_ids: Sequence[int]) -> dict[int, date]:
    if not paper_ids:
        return {}
    rows = session.execute(
        select(PaperFeature.paper_id, func.max(PaperFeature.featured_on))
        .where(PaperFeature.paper_id.in_(list(paper_ids)))
        .group_by(PaperFeature.paper_id)
    )
    return {paper_id: day for paper_id, day in rows}


_RANKED = (
    Paper.id,
    Paper.arxiv_id,
    Paper.title,
    Paper.abstract,
    Paper.ai_keywords,
    Paper.ai_summary,
    Paper.upvotes,
    Paper.github_stars,
    Paper.num_comments,
    Paper.published_at,
)


def _candidates(session: Session, paper_ids: Sequence[int]) -> list[CandidatePaper]:
    """The ranker's view of each paper, in the order given, from the columns it reads.

    No upvote velocity: search is not live (the trending blend is otherwise the digest's).
    """
    if not paper_ids:
        return []
    featured = _latest_features(session, paper_ids)
    statement = select(*_RANKED).where(Paper.id.in_(list(paper_ids)))
    rows = {row.id: row for row in session.execute(statement)}
    return [
        candidate_from(row, featured_on=featured.get(row.id))
        for row in (rows[i] for i in paper_ids if i in rows)
    ]


def _cards(session: Session, picks: Sequence[Pick]) -> list[PaperCard]:
    """Cards for the picks, in their order (full rows for these few only)."""
    if not picks:
        return []
    statement = select(Paper).where(Paper.arxiv_id.in_([p.arxiv_id for p in picks]))
    papers = {p.arxiv_id: p for p in session.scalars(statement)}
    featured = _latest_features(session, [p.id for p in papers.values()])
    return [
        card_for(
            papers[p.arxiv_id], rank=n, featured_on=featured.get(papers[p.arxiv_id].id), readings=[]
        )
        for n, p in enumerate(picks, start=1)
        if p.arxiv_id in papers
    ]


_spaces: dict[Hashable, SearchSpace] = {}
_spaces_lock = threading.Lock()


def search_space(session: Session, *, corpus_days: int = CORPUS_DAYS) -> SearchSpace:
    """The ranker's index and latent space on the rolling corpus, fitted once per process
    and again when papers are added or featured (two primary-key look-ups tell)."""
    key = (
        session.get_bind().engine.url.render_as_string(),
        corpus_days,
        session.scalar(select(func.max(Paper.id))),
        session.scalar(select(func.max(PaperFeature.id))),
    )
    with _spaces_lock:
        space = _spaces.get(key)
        if space is None:
            latest = session.scalar(select(func.max(PaperFeature.featured_on)))
            until = latest or datetime.now(UTC).date()
            space = fit_search_space(recent_corpus(session, until=until, days=corpus_days))
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
    """The papers the digest ranker would pick for ``query``: among the rolling corpus's
    best matches and the older papers the full-text index finds."""
    period = period if period in PERIODS else "all"
    days = PERIODS[period][1]
    since = None if days is None else (now - timedelta(days=days)).date()
    space = search_space(session, corpus_days=corpus_days)
    recent = shortlist(space, query=query, limit=CANDIDATES, keep=_since(since))
    words = query_words(query)
    rare = space.rarest(words, max_share=RARE_SHARE, most=RARE_WORDS)
    older = _candidates(session, retrieve(session, words, rare=rare, since=since))
    candidates = _merge(recent, older)
    picks = rank_query(space, candidates, query[:MAX_QUERY_CHARS], now=now, k=k)
    # A digest always fills its k; a search stops where the matches do.
    top = max((p.score for p in picks), default=0.0)
    picks = [p for p in picks if p.score >= RELEVANT_SHARE * top]
    return SearchResults(query, period, _cards(session, picks), len(candidates))


def _since(since: date | None) -> Callable[[CandidatePaper], bool]:
    def keep(paper: CandidatePaper) -> bool:
        return since is None or (paper.featured_on is not None and paper.featured_on >= since)

    return keep


def _merge(*lists: Sequence[CandidatePaper]) -> list[CandidatePaper]:
    """The papers of every list, each once (its first appearance), in order."""
    merged: dict[str, CandidatePaper] = {}
    for papers in lists:
        for paper in papers:
            merged.setdefault(paper.arxiv_id, paper)
    return list(merged.values())


def similar_cards(
    session: Session, paper: Paper, *, k: int, corpus_days: int = CORPUS_DAYS
) -> list[PaperCard]:
    """The ``k`` papers most like ``paper`` by the ranker's vectors.

    Candidates: the recent papers closest to it (the rolling corpus, scored whole)
    and the newest older papers sharing the rarest words of its title and keywords.
    """
    space = search_space(session, corpus_days=corpus_days)
    words = query_words(" ".join([paper.title, *(paper.ai_keywords or [])]))
    rare = space.rarest(words, max_share=RARE_SHARE, most=RARE_WORDS)
    found = retrieve(session, rare, rare=rare, since=None, limit=SIMILAR_OLDER)
    itself, *older = _candidates(session, [paper.id, *(i for i in found if i != paper.id)])
    recent = shortlist(space, like=itself, limit=SIMILAR_OLDER)
    picks = similar_papers(space, itself, _merge(recent, older), k=k)
    return _cards(session, picks)
