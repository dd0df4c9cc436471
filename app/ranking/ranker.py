"""The ranker: one entry point for the mailer, the admin preview and the CLI.

Usage, once per edition::

    edition = prepare_edition(candidates, corpus=recent_papers, now=now)
    digests = rank_subscribers(edition, profiles)

``prepare_edition`` does the per-edition work (fit the TF-IDF index on the
rolling corpus, vectorise candidates, their Gram matrix, trending scores, topic
similarities). ``rank_subscribers`` scores any number of subscribers against it,
in chunks of ``RankingParams.chunk_size`` so memory stays bounded: per chunk one
sparse product for relevance, pseudo-relevance feedback from the Gram matrix, the
click model for subscribers with enough clicks, the trending blend, no-repeat,
an ``argpartition`` short list, MMR, and reasons. No loop runs over subscriber x
paper; the Python loops that remain touch each subscriber's own short lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from time import perf_counter

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from app.ranking import explain
from app.ranking.candidates import CandidatePaper, Digest, Pick, SubscriberProfile
from app.ranking.diversity import NOT_PICKED, exclude_already_sent, mmr, shortlist
from app.ranking.feedback import MIN_CLICKS, blend_weight, click_model_scores
from app.ranking.relevance import (
    TextIndex,
    normalise_rows,
    pseudo_relevance_feedback,
    similarity,
)
from app.ranking.topics import TOPICS
from app.ranking.trending import trending_ranks, trending_scores

FloatArray = NDArray[np.float32]
MAX_PROFILE_PAPERS = 50


@dataclass(frozen=True)
class RankingParams:
    """The ranker's knobs; the defaults are the production choice."""

    interest_weight: float = 1.0
    topic_weight: float = 0.6
    seed_weight: float = 0.8
    click_weight: float = 0.5
    prf_docs: int = 5
    prf_weight: float = 0.5
    trend_weight: float = 0.1
    # Below this best cosine, nothing matched: send trending and say so.
    min_similarity: float = 0.03
    shortlist: int = 30
    mmr_lambda: float = 0.8
    mention_trending_up_to: int = 3
    chunk_size: int = 4096


@dataclass(frozen=True, eq=False)
class PreparedEdition:
    """Everything about one edition's candidates that does not depend on a subscriber."""

    papers: list[CandidatePaper]
    column_of: dict[str, int]
    index: TextIndex
    vectors: sp.csr_matrix
    gram: FloatArray
    trending: FloatArray
    trending_rank: NDArray[np.int64]
    library_row: dict[str, int]
    library: sp.csr_matrix
    library_titles: list[str]
    topic_slugs: list[str]
    topic_vectors: sp.csr_matrix
    topic_similarity: FloatArray
    reasons: explain.ReasonWriter


def prepare_edition(
    candidates: Sequence[CandidatePaper],
    *,
    corpus: Sequence[CandidatePaper] = (),
    now: datetime | None = None,
) -> PreparedEdition:
    """Index an edition's candidates (duplicates by arXiv id are dropped).

    ``corpus`` is the rolling window of recent papers the TF-IDF statistics are
    fitted on and seed / clicked papers are looked up in; the candidates are
    always part of it.
    """
    now = now or datetime.now(UTC)
    papers = list({p.arxiv_id: p for p in reversed(candidates)}.values())[::-1]
    column_of = {p.arxiv_id: n for n, p in enumerate(papers)}
    extra = [p for p in {p.arxiv_id: p for p in corpus}.values() if p.arxiv_id not in column_of]
    library_papers = papers + extra
    index = TextIndex(library_papers)
    library = index.transform_papers(library_papers)
    vectors = sp.csr_matrix(library[: len(papers)])
    gram = similarity(vectors, vectors)
    raw, normalised = trending_scores(papers, now)
    ranks = trending_ranks(raw)
    slugs = list(TOPICS)
    topic_vectors = index.transform_texts(
        [f"{TOPICS[s].label}. {TOPICS[s].description}" for s in slugs]
    )
    return PreparedEdition(
        papers=papers,
        column_of=column_of,
        index=index,
        vectors=vectors,
        gram=gram,
        trending=normalised.astype(np.float32),
        trending_rank=ranks,
        library_row={p.arxiv_id: n for n, p in enumerate(library_papers)},
        library=library,
        library_titles=[explain.shorten(p.title) for p in library_papers],
        topic_slugs=slugs,
        topic_vectors=topic_vectors,
        topic_similarity=similarity(topic_vectors, vectors),
        reasons=explain.ReasonWriter(
            index.terms,
            [
                explain.trending_phrase(int(r), p.upvotes)
                for r, p in zip(ranks, papers, strict=True)
            ],
        ),
    )


def rank_subscribers(
    edition: PreparedEdition,
    profiles: Sequence[SubscriberProfile],
    *,
    params: RankingParams | None = None,
    timings: dict[str, float] | None = None,
) -> list[Digest]:
    """Each subscriber's digest (``profile.k`` picks, best first), in the order given.

    Pass a dict as ``timings`` to have seconds per stage added to it (benchmarks).
    """
    params = params or RankingParams()
    laps = _Laps(timings)
    digests: list[Digest] = []
    for start in range(0, len(profiles), params.chunk_size):
        chunk = profiles[start : start + params.chunk_size]
        digests.extend(_rank_chunk(edition, chunk, params, laps))
    return digests


class _Laps:
    """Adds the time since the previous lap to a stage's total (when asked to)."""

    def __init__(self, sink: dict[str, float] | None) -> None:
        self._sink = sink
        self._last = perf_counter()

    def __call__(self, stage: str) -> None:
        now = perf_counter()
        if self._sink is not None:
            self._sink[stage] = self._sink.get(stage, 0.0) + now - self._last
        self._last = now


def rank_edition(
    candidates: Sequence[CandidatePaper],
    profiles: Sequence[SubscriberProfile],
    *,
    corpus: Sequence[CandidatePaper] = (),
    now: datetime | None = None,
    params: RankingParams | None = None,
) -> list[Digest]:
    """``prepare_edition`` and ``rank_subscribers`` in one call."""
    edition = prepare_edition(candidates, corpus=corpus, now=now)
    return rank_subscribers(edition, profiles, params=params)


@dataclass
class _Known:
    """A chunk's profile papers resolved to library rows (unknown ids noted)."""

    seeds: list[list[int]]
    clicks: list[list[int]]
    skipped: list[list[int]]
    sent: list[list[int]]
    notes: list[list[str]]


def _resolve(edition: PreparedEdition, chunk: Sequence[SubscriberProfile]) -> _Known:
    rows, columns = edition.library_row, edition.column_of
    known = _Known([], [], [], [], [])
    for profile in chunk:
        seeds = [rows[i] for i in profile.seed_papers if i in rows][-MAX_PROFILE_PAPERS:]
        unknown = [i for i in profile.seed_papers if i not in rows]
        known.seeds.append(seeds)
        known.notes.append(
            [f"note: seed paper {i} is not one we know yet, so it was ignored" for i in unknown]
        )
        known.clicks.append([rows[i] for i in profile.clicked if i in rows][-MAX_PROFILE_PAPERS:])
        known.skipped.append([rows[i] for i in profile.shown_not_clicked if i in rows])
        # A seed or clicked paper is one the subscriber has already seen: never repeat it.
        seen = [*profile.already_sent, *profile.seed_papers, *profile.clicked]
        known.sent.append([columns[i] for i in seen if i in columns])
    return known


def _membership(lists: Sequence[Sequence[int]], width: int) -> sp.csr_matrix:
    """Row-normalised indicator matrix: row b averages the items in lists[b]."""
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    columns = np.fromiter((c for x in lists for c in x), dtype=np.int64, count=int(lengths.sum()))
    rows = np.repeat(np.arange(len(lists)), lengths)
    values = (1.0 / np.maximum(lengths, 1))[rows].astype(np.float32)
    return sp.csr_matrix((values, (rows, columns)), shape=(len(lists), width))


def _rank_chunk(
    edition: PreparedEdition,
    chunk: Sequence[SubscriberProfile],
    params: RankingParams,
    lap: _Laps,
) -> list[Digest]:
    n_papers = len(edition.papers)
    if n_papers == 0:
        return [Digest(p.key, [], trending_fallback=True) for p in chunk]
    known = _resolve(edition, chunk)
    topic_pos = {slug: n for n, slug in enumerate(edition.topic_slugs)}
    topic_lists = [[topic_pos[t] for t in dict.fromkeys(p.topics) if t in topic_pos] for p in chunk]
    n_library = edition.library.shape[0]
    lap("resolve profiles")

    interest = edition.index.transform_texts([p.interests for p in chunk])
    topics = _membership(topic_lists, len(topic_pos))
    query = normalise_rows(
        params.interest_weight * interest
        + params.topic_weight * normalise_rows(topics @ edition.topic_vectors)
        + params.seed_weight * normalise_rows(_membership(known.seeds, n_library) @ edition.library)
        + params.click_weight
        * normalise_rows(_membership(known.clicks, n_library) @ edition.library)
    )
    lap("vectorise queries")
    scores = similarity(query, edition.vectors)
    lap("similarity product")
    has_query = np.diff(query.indptr) > 0
    personal = has_query & (scores.max(axis=1) >= params.min_similarity)
    scores = pseudo_relevance_feedback(
        scores, edition.gram, top=params.prf_docs, weight=params.prf_weight
    )
    scores /= np.maximum(scores.max(axis=1, keepdims=True), 1e-12)
    lap("pseudo-relevance feedback")

    learners = [b for b in range(len(chunk)) if len(known.clicks[b]) >= MIN_CLICKS]
    if learners:
        model = click_model_scores(
            edition.library,
            edition.vectors,
            [known.clicks[b] for b in learners],
            [known.skipped[b] for b in learners],
        )
        weight = np.array([blend_weight(len(known.clicks[b])) for b in learners], np.float32)
        scores[learners] = (1 - weight[:, None]) * scores[learners] + weight[:, None] * model
    lap("click model")

    tw = params.trend_weight
    final = np.where(
        personal[:, None], (1 - tw) * scores + tw * edition.trending[None, :], edition.trending
    ).astype(np.float32)
    exclude_already_sent(final, known.sent)
    lap("trending blend, no-repeat")
    columns = shortlist(final, params.shortlist)
    k_max = max((p.k for p in chunk), default=0)
    picked = mmr(
        columns,
        np.take_along_axis(final, columns, axis=1),
        edition.gram,
        k=k_max,
        lambda_=params.mmr_lambda,
    )
    keep = (picked != NOT_PICKED) & (
        np.arange(picked.shape[1])[None, :] < np.array([p.k for p in chunk])[:, None]
    )
    rows, steps = np.nonzero(keep)
    papers = picked[rows, steps]
    lap("shortlist, MMR")
    why = _reasons(edition, chunk, known, topics, interest, personal, rows, papers, params)
    lap("reasons")
    values = final[rows, papers].tolist()
    ids = [edition.papers[j].arxiv_id for j in papers.tolist()]
    picks = [Pick(*t) for t in zip(ids, values, why, strict=True)]
    counts = keep.sum(axis=1).tolist()
    digests: list[Digest] = []
    start = 0
    for b, profile in enumerate(chunk):
        end = start + counts[b]
        digests.append(Digest(profile.key, picks[start:end], not bool(personal[b]), known.notes[b]))
        start = end
    lap("assemble digests")
    return digests


def _best_of(
    lists: Sequence[Sequence[int]],
    rows: NDArray[np.int64],
    papers: NDArray[np.int64],
    library: sp.csr_matrix,
    vectors: sp.csr_matrix,
) -> tuple[FloatArray, NDArray[np.int64]]:
    """For each (row, paper) pair: the best cosine to one of lists[row] and which one."""
    values = np.zeros(len(rows), dtype=np.float32)
    which = np.zeros(len(rows), dtype=np.int64)
    width = max((len(x) for x in lists), default=0)
    if width == 0 or len(rows) == 0:
        return values, which
    used = np.unique(np.fromiter((c for x in lists for c in x), dtype=np.int64))
    local = {int(c): n for n, c in enumerate(used)}
    padded = np.full((len(lists), width), -1, dtype=np.int64)
    for b, items in enumerate(lists):
        padded[b, : len(items)] = [local[c] for c in items]
    sims = similarity(sp.csr_matrix(library[used]), vectors)
    mine = padded[rows]
    gathered = np.where(mine >= 0, sims[np.maximum(mine, 0), papers[:, None]], -1.0)
    position = gathered.argmax(axis=1)
    values = np.maximum(gathered[np.arange(len(rows)), position], 0).astype(np.float32)
    which = used[np.maximum(mine[np.arange(len(rows)), position], 0)]
    return values, which


def _reasons(
    edition: PreparedEdition,
    chunk: Sequence[SubscriberProfile],
    known: _Known,
    topics: sp.csr_matrix,
    interest: sp.csr_matrix,
    personal: NDArray[np.bool_],
    rows: NDArray[np.int64],
    papers: NDArray[np.int64],
    params: RankingParams,
) -> list[str]:
    """One reason per (row, paper) pick, from the strongest piece of evidence."""
    n = len(rows)
    evidence = np.zeros((n, 4), dtype=np.float32)
    detail = np.zeros((n, 4), dtype=np.int64)
    cosine, term = explain.matched_terms(
        sp.csr_matrix(interest[rows]),
        sp.csr_matrix(edition.vectors[papers]),
        edition.index.phrase_boost,
    )
    evidence[:, explain.INTEREST] = params.interest_weight * cosine
    detail[:, explain.INTEREST] = term
    topic_sims = (topics[rows] > 0).toarray() * edition.topic_similarity[:, papers].T
    if topic_sims.shape[1]:
        detail[:, explain.TOPIC] = topic_sims.argmax(axis=1)
        evidence[:, explain.TOPIC] = params.topic_weight * topic_sims.max(axis=1)
    for column, lists, weight in (
        (explain.SEED, known.seeds, params.seed_weight),
        (explain.CLICK, known.clicks, params.click_weight),
    ):
        values, which = _best_of(lists, rows, papers, edition.library, edition.vectors)
        evidence[:, column] = weight * values
        detail[:, column] = which
    kind = evidence.argmax(axis=1)
    kind = np.where(evidence.max(axis=1) > 0, kind, explain.MODEL)
    chosen = np.where(kind < 4, detail[np.arange(n), np.minimum(kind, 3)], 0)
    top = edition.trending_rank[papers] <= params.mention_trending_up_to
    fallback = ~personal[rows]
    told_nothing = np.array(
        [not (p.interests.strip() or p.topics or p.seed_papers or p.clicked) for p in chunk]
    )[rows]
    # Encode each distinct reason as one integer so sentences are built once per batch:
    # kind (from bit 49), trending mention (bit 48), detail (bits 20-47), paper (0-19).
    code = np.where(fallback, 5 + told_nothing.astype(np.int64), kind)
    paper_part = np.where(fallback | top, papers, 0)
    code = (code << 1 | top) << 48 | np.where(fallback, 0, chosen) << 20 | paper_part
    unique, inverse = np.unique(code, return_inverse=True)
    sentences: list[str] = []
    for value in unique.tolist():
        paper = value & 0xFFFFF
        item = (value >> 20) & 0xFFFFFFF
        is_top = bool((value >> 48) & 1)
        which_kind = value >> 49
        if which_kind >= 5:
            sentences.append(edition.reasons.trending_only(paper, no_interests=which_kind == 6))
            continue
        subject: object = item
        if which_kind == explain.TOPIC:
            subject = TOPICS[edition.topic_slugs[item]].label
        elif which_kind in (explain.SEED, explain.CLICK):
            subject = edition.library_titles[item]
        sentences.append(edition.reasons.personal(which_kind, subject, paper, top_trending=is_top))
    return [sentences[i] for i in inverse.tolist()]
