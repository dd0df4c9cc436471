"""Search over every stored paper, and a paper's neighbours, ranked by the digest ranker.

The recent papers (the rolling corpus the digest ranker fits on) are prepared once
per process as one edition, refitted when papers are added or featured (the data
version: two primary-key look-ups), and a query is ranked over all of them by
``app.ranking.search.rank_corpus``: the digest ranker itself, the query standing
in for a subscriber's interests. Older papers come from the database's full-text
index (``tsvector`` + GIN on PostgreSQL, FTS5 on SQLite; migration
``7c3e91d2a4f0``), at bounded cost: only through the query's rare terms (in at
most ``RARE_SHARE`` of the corpus, so few papers carry them), at most
``OLDER_CANDIDATES`` of them; then the best recent picks and those older papers
are ranked together by the same ranker (``rank_query``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sqlalchemy import Select, column, func, literal_column, select, table
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.editions.ranking_inputs import edition_as_of, recent_corpus
from app.models import Paper, PaperFeature
from app.papers.cards import CARD_COLUMNS, PaperCard, card_for
from app.ranking.candidates import CandidatePaper, Pick, candidate_from
from app.ranking.search import (
    SearchSpace,
    fit_search_space,
    rank_corpus,
    rank_query,
    similar_papers,
)

# Older papers (outside the rolling corpus) the full-text index hands the ranker, at most.
OLDER_CANDIDATES = 40
# PostgreSQL ranks at most this many full-text matches of the rare terms (see ``_any_of``).
# Not fewer for fewer papers: under a small LIMIT the planner prefers reading the table
# in order, testing every row's vector, to the index (on 100,000 papers, 30 took 28 ms
# where 120 take 5).
MATCH_SCAN = 120
RESULTS = 20
# Results scoring below this share of the best one are left out.
RELEVANT_SHARE = 0.2
# "Similar papers" looks among this many recent papers and as many older ones.
SIMILAR_OLDER = 10
MAX_QUERY_WORDS = 16
MAX_QUERY_CHARS = 200
CORPUS_DAYS = 30
# Terms in at most this share of the rolling corpus bound a retrieval (see ``retrieve_older``).
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
_TERM = re.compile(r"\w+", re.ASCII)


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


# The paper's latest featured day, read with its row (a correlated look-up per paper).
_LATEST_FEATURED = (
    select(func.max(PaperFeature.featured_on))
    .where(PaperFeature.paper_id == Paper.id)
    .correlate(Paper)
    .scalar_subquery()
    .label("latest_featured_on")
)

# What a full-text look-up reads of each paper it finds: the columns the ranker reads
# and the latest featured day (no upvote velocity: search is not live).
_READ_OLDER: tuple[Any, ...] = (
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
    _LATEST_FEATURED,
)


def _any_of(
    session: Session, terms: Sequence[str], *, since: date | None, before: date, limit: int
) -> Select[Any]:
    """Up to ``limit`` papers carrying any of ``terms``, not featured from ``before`` on,
    best full-text match first, with what the ranker reads of them (``_READ_OLDER``).

    On PostgreSQL the terms are lexemes (already stemmed) matched as they are, and at
    most ``MATCH_SCAN`` matches are ranked (the scan stops there: a bound on the rows
    read, whatever the archive's size); on SQLite they are words, quoted for FTS5
    (which stems them itself and ranks from its own index).
    """
    in_window = select(PaperFeature.paper_id).where(PaperFeature.featured_on >= before)
    if session.get_bind().dialect.name == "postgresql":
        vector: ColumnElement[Any] = literal_column("paper.search_vector")
        # Lexemes are \w+ only; quoted, each is one term of the tsquery.
        query = func.to_tsquery(
            literal_column("'simple'::regconfig"), " | ".join(f"'{t}'" for t in terms)
        )
        paper_id: ColumnElement[Any] = Paper.__table__.c.id
        matches = select(paper_id, vector.label("vector")).where(
            vector.op("@@")(query), paper_id.not_in(in_window)
        )
        if since is not None:
            recent = select(PaperFeature.paper_id).where(PaperFeature.featured_on >= since)
            matches = matches.where(paper_id.in_(recent))
        scanned = matches.limit(MATCH_SCAN).subquery("scanned")
        # Ranked on the vectors the scan read, then only the best rows are read whole
        # (ranking after a join back read every match twice: 3.2 -> 2.3 ms median).
        rank = func.ts_rank(scanned.c.vector, query).label("rank")
        top = (
            select(scanned.c.id, rank)
            .order_by(rank.desc(), scanned.c.id.desc())
            .limit(limit)
            .subquery("top")
        )
        return (
            select(*_READ_OLDER)
            .join(top, top.c.id == paper_id)
            .order_by(top.c.rank.desc(), paper_id.desc())
        )
    fts = table("paper_fts", column("rowid"))
    fts_id: ColumnElement[Any] = fts.c.rowid
    match = " OR ".join(f'"{t}"' for t in terms)
    statement = (
        select(*_READ_OLDER)
        .join_from(Paper, fts, fts_id == Paper.id)
        .where(literal_column("paper_fts").op("MATCH")(match), fts_id.not_in(in_window))
    )
    if since is not None:
        recent = select(PaperFeature.paper_id).where(PaperFeature.featured_on >= since)
        statement = statement.where(fts_id.in_(recent))
    best = func.bm25(literal_column("paper_fts"), 2.0, 1.0)
    return statement.order_by(best, fts_id.desc()).limit(limit)


# Word -> its English lexemes, as PostgreSQL stems it: a pure function of the word, so
# kept (a paper page's title and keywords, or a search, are mostly words seen before).
_LEXEMES: dict[str, tuple[str, ...]] = {}
LEXEME_CACHE_WORDS = 100_000
_STEM_WORDS = sql_text(
    "SELECT word, tsvector_to_array(to_tsvector('english'::regconfig, word)) "
    "FROM unnest(CAST(:words AS text[])) AS word"
)


def query_terms(session: Session, text: str) -> list[str]:
    """The text's terms as the full-text index holds them: PostgreSQL's English lexemes
    (``computers`` is ``comput``, which "computation" shares), else lower-cased words.

    On PostgreSQL the words are stemmed one by one (the text's words are separate
    tokens to its parser, so their lexemes are the text's), and only words not met
    before cost a round trip; the terms come sorted, as ``tsvector_to_array`` gives them.
    """
    if session.get_bind().dialect.name != "postgresql":
        return query_words(text)
    # Its words only: PostgreSQL's text cannot hold every character a visitor can send.
    words = list(dict.fromkeys(_WORD.findall(text[:MAX_QUERY_CHARS])))
    missing = [w for w in words if w not in _LEXEMES]
    if missing:
        if len(_LEXEMES) + len(missing) > LEXEME_CACHE_WORDS:
            _LEXEMES.clear()
        for row in session.execute(_STEM_WORDS, {"words": missing}):
            _LEXEMES[str(row[0])] = tuple(row[1] or ())
    terms = sorted({t for w in words for t in _LEXEMES.get(w, ())})
    return [t for t in terms if _TERM.fullmatch(t)][:MAX_QUERY_WORDS]


def retrieve_older(
    session: Session,
    fitted: FittedCorpus,
    text: str,
    *,
    since: date | None,
    limit: int = OLDER_CANDIDATES,
) -> list[CandidatePaper]:
    """Up to ``limit`` papers outside the rolling corpus that carry the text's rarest
    terms, best full-text match first, as the ranker sees them (read by the look-up
    itself: no second query by id).

    Bounded by design: only terms in at most ``RARE_SHARE`` of the corpus are looked
    up, so the index reads few rows (a common word such as "diffusion" is in a fifth
    of all papers: matching it would read a fifth of the archive). A query of common
    words only finds its papers in the corpus, which is ranked whole.
    """
    terms = query_terms(session, text)
    total = max(len(fitted.space.papers), 1)
    share = {t: fitted.term_frequency.get(t, 0) / total for t in terms}
    rare = sorted((t for t in terms if share[t] <= RARE_SHARE), key=share.__getitem__)
    if not rare:
        return []
    # Papers featured in the corpus's window are ranked with it already.
    statement = _any_of(session, rare[:RARE_WORDS], since=since, before=fitted.since, limit=limit)
    return [
        candidate_from(row, featured_on=row.latest_featured_on)
        for row in session.execute(statement)
    ]


def _cards(session: Session, picks: Sequence[Pick]) -> list[PaperCard]:
    """Cards for the picks, in their order (full rows for these few only)."""
    if not picks:
        return []
    statement = select(*CARD_COLUMNS, _LATEST_FEATURED).where(
        Paper.arxiv_id.in_([p.arxiv_id for p in picks])
    )
    papers = {row.arxiv_id: row for row in session.execute(statement)}
    rows = [papers[p.arxiv_id] for p in picks if p.arxiv_id in papers]
    return [
        card_for(row, rank=n, featured_on=row.latest_featured_on, curve=None)
        for n, row in enumerate(rows, start=1)
    ]


@dataclass(frozen=True, eq=False)
class FittedCorpus:
    """The rolling corpus prepared for ranking, and how many of its papers hold each
    full-text term (what ``retrieve_older`` calls rare)."""

    space: SearchSpace
    term_frequency: Mapping[str, int]
    since: date  # the corpus's first day


_fitted: dict[Hashable, FittedCorpus] = {}
_fitted_lock = threading.Lock()


def _term_frequency(
    session: Session, space: SearchSpace, since: date, until: date
) -> dict[str, int]:
    """Per full-text term, the corpus papers holding it: PostgreSQL's ``ts_stat`` over the
    corpus's window (one query per fit); on SQLite, the words' own counts."""
    if session.get_bind().dialect.name != "postgresql":
        return dict(space.document_frequency)
    # ts_stat takes its query as text: format(%L) quotes the bound dates into it.
    statement = sql_text(
        "SELECT word, ndoc FROM ts_stat(format("
        "'SELECT search_vector FROM paper WHERE id IN (SELECT paper_id FROM paper_feature "
        "WHERE featured_on BETWEEN %L AND %L) OR published_at BETWEEN %L AND %L', "
        ":since, :until, :start, :end))"
    )
    rows = session.execute(
        statement,
        {
            "since": since,
            "until": until,
            "start": datetime.combine(since, time(0), tzinfo=UTC),
            "end": datetime.combine(until + timedelta(days=1), time(0), tzinfo=UTC),
        },
    )
    return {str(row["word"]): int(row["ndoc"]) for row in rows.mappings()}


def fitted_corpus(session: Session, *, corpus_days: int = CORPUS_DAYS) -> FittedCorpus:
    """The rolling corpus prepared as one edition, once per process and again when papers
    are added or featured (two primary-key look-ups, in one round trip, tell)."""
    newest = session.execute(
        select(
            select(func.max(Paper.id)).scalar_subquery(),
            select(func.max(PaperFeature.id)).scalar_subquery(),
        )
    ).one()
    key = (session.get_bind().engine.url.render_as_string(), corpus_days, *newest)
    with _fitted_lock:
        fitted = _fitted.get(key)
        if fitted is None:
            latest = session.scalar(select(func.max(PaperFeature.featured_on)))
            until = latest or datetime.now(UTC).date()
            since = until - timedelta(days=corpus_days)
            corpus = recent_corpus(session, until=until, days=corpus_days)
            space = fit_search_space(corpus, now=edition_as_of(until))
            terms = _term_frequency(session, space, since, until)
            fitted = FittedCorpus(space, terms, since)
            _fitted.clear()  # one fit per process: the newest
            _fitted[key] = fitted
    return fitted


def search_space(session: Session, *, corpus_days: int = CORPUS_DAYS) -> SearchSpace:
    """The ranker's view of the rolling corpus (see ``fitted_corpus``)."""
    return fitted_corpus(session, corpus_days=corpus_days).space


def search(
    session: Session,
    query: str,
    *,
    period: str,
    now: datetime,
    corpus_days: int = CORPUS_DAYS,
    k: int = RESULTS,
) -> SearchResults:
    """The papers the digest ranker would pick for ``query``: over the whole rolling
    corpus, and beside its best the older papers the full-text index finds."""
    period = period if period in PERIODS else "all"
    days = PERIODS[period][1]
    since = None if days is None else (now - timedelta(days=days)).date()
    fitted = fitted_corpus(session, corpus_days=corpus_days)
    space = fitted.space
    query = query[:MAX_QUERY_CHARS]
    keep = _since(since)
    outside = [p.arxiv_id for p in space.papers if not keep(p)] if since else []
    picks = rank_corpus(space, query, k=k, exclude=outside)
    older: list[CandidatePaper] = []
    if since is None or since < fitted.since:
        older = retrieve_older(session, fitted, query, since=since)
        older = [p for p in older if p.arxiv_id not in space.row_of]
    if older:
        best_recent = [space.papers[space.row_of[p.arxiv_id]] for p in picks]
        picks = rank_query(space, _merge(best_recent, older), query, now=now, k=k)
    # A digest always fills its k; a search stops where the matches do.
    top = max((p.score for p in picks), default=0.0)
    picks = [p for p in picks if p.score >= RELEVANT_SHARE * top]
    return SearchResults(query, period, _cards(session, picks), len(space.papers) + len(older))


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
    session: Session,
    paper: Paper,
    *,
    featured_on: date | None,
    k: int,
    corpus_days: int = CORPUS_DAYS,
) -> list[PaperCard]:
    """The ``k`` papers most like ``paper`` (its latest featured day ``featured_on``) by
    the ranker's vectors.

    Candidates: the recent papers closest to it (the rolling corpus, scored whole)
    and the older papers sharing the rarest terms of its title and keywords.
    """
    fitted = fitted_corpus(session, corpus_days=corpus_days)
    text = " ".join([paper.title, *(k for k in paper.ai_keywords or [] if isinstance(k, str))])
    older = retrieve_older(session, fitted, text, since=None, limit=SIMILAR_OLDER)
    itself = candidate_from(paper, featured_on=featured_on)
    picks = similar_papers(fitted.space, itself, older, k=k, recent=SIMILAR_OLDER)
    return _cards(session, picks)
