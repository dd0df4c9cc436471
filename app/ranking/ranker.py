"""The ranker: one entry point for the mailer, the admin preview and the CLI.

Usage, once per edition::

    edition = prepare_edition(candidates, corpus=recent_papers, now=now)
    digests = rank_subscribers(edition, profiles)

``prepare_edition`` does the per-edition work (fit the TF-IDF index, BM25
statistics, the corpus's acronyms and the latent space on the rolling corpus,
vectorise candidates, their Gram matrix, trending scores, topic similarities).
``rank_subscribers`` scores any number of subscribers against it, in chunks of
``RankingParams.chunk_size`` so memory stays bounded.

A subscriber's personal score for a paper starts from their interest text: BM25
over its terms (``lexical``; acronyms and their long forms find each other,
``acronyms``) fused with latent (LSA) similarity (``latent``). When it matched
something, topics sharpen it and seed (brought, liked) and clicked papers lift it by
a bounded amount; otherwise the parts given are a weighted mean (CombSUM); see
``combine``. Disliked papers lower the papers more like them than like the liked
ones (``profiles.subtract_disliked``). Then, per subscriber, the
score is scaled to [0, 1] over the papers still unseen and blended with trending
(``trend_weight``, fading as seeds and clicks tell us more). Papers already sent,
seeds and clicked papers are excluded; an ``argpartition`` short list goes
through MMR (``diversity``); each pick gets a reason (``explain``). Nothing
matched (or nothing told) means the trending order, flagged and said.

No loop runs over subscriber x paper; the Python loops that remain touch each
subscriber's own short lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from time import perf_counter
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from app.ranking import explain, latent
from app.ranking.candidates import CandidatePaper, Digest, Pick, SubscriberProfile
from app.ranking.combine import sharpened
from app.ranking.diversity import NOT_PICKED, exclude_already_sent, mmr, shortlist
from app.ranking.edition import (
    PreparedEdition,
    cyclic_gc_paused,
    prepare_edition,
    single_threaded_blas,
)
from app.ranking.feedback import MIN_CLICKS, blend_weight, click_model_scores
from app.ranking.profiles import (
    add_feedback_similarity,
    add_max_topic_similarity,
    best_item,
    flatten,
    resolve_profiles,
    subtract_disliked,
)
from app.ranking.relevance import InterestTerms, pseudo_relevance_feedback
from app.topics import TOPICS

FloatArray = NDArray[np.float32]
__all__ = [
    "PreparedEdition",
    "RankingParams",
    "prepare_edition",
    "rank_edition",
    "rank_subscribers",
]
# Reason codes past the explain kinds: trending fallback (+1 when told us nothing).
TRENDING_ONLY = explain.RELATED + 1


@dataclass(frozen=True)
class RankingParams:
    """The ranker's knobs; the defaults are the production choice."""

    interest_weight: float = 1.0
    # Share of latent (LSA) similarity in the interest score; the rest is TF-IDF cosine.
    latent_share: float = 0.4
    # CombSUM weights of the parts when there is no matched interest text (see combine).
    topic_weight: float = 0.6
    seed_weight: float = 0.8
    click_weight: float = 0.5
    # With a matched interest text, topics sharpen it by at most this share ...
    topic_sharpen: float = 0.3
    # An acronym's long form (and vice versa) joins the query with this weight.
    acronym_weight: float = 0.3
    # ... and seed (liked, brought) and clicked papers add their centroid similarity
    # (row-scaled) with a weight that reaches these caps with the evidence,
    # n / (n + evidence_half): clicks are the weaker signal.
    seed_lift: float = 0.7
    click_lift: float = 0.6
    evidence_half: float = 2.0
    # Share of latent similarity in the feedback papers' centroid similarity.
    feedback_latent_share: float = 0.0
    # Without interest text, this share of the feedback papers' lexical similarity is the
    # best cosine with one of them rather than their centroid's (a library spans subjects).
    nearest_share: float = 0.5
    # With enough clicks (feedback.MIN_CLICKS), the click model's share of the click part.
    click_model_share: float = 0.0
    # "Fewer like this": a paper loses this much of how much more it is like a disliked
    # paper than like a liked one (see ``profiles.subtract_disliked``).
    dislike_weight: float = 0.5
    # Pseudo-relevance feedback: off by default, because with the latent hybrid it
    # changed nDCG@10 on our judged set by less than its noise (see bench/relevance.py)
    # while costing ~10% of a batch. Set prf_weight=0.5 to turn it on.
    prf_docs: int = 10
    prf_weight: float = 0.0
    trend_weight: float = 0.1
    # Below this best cosine, nothing matched: send trending and say so.
    min_similarity: float = 0.03
    # MMR looks this far down, or twice the largest k asked for if that is more.
    shortlist: int = 20
    mmr_lambda: float = 0.8
    mention_trending_up_to: int = 3
    chunk_size: int = 4096


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
    with cyclic_gc_paused(), single_threaded_blas():
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
    backend: Literal["tfidf", "dense"] = "tfidf",
) -> list[Digest]:
    """``prepare_edition`` and ``rank_subscribers`` in one call."""
    edition = prepare_edition(candidates, corpus=corpus, now=now, backend=backend)
    return rank_subscribers(edition, profiles, params=params)


def _rank_chunk(
    edition: PreparedEdition,
    chunk: Sequence[SubscriberProfile],
    params: RankingParams,
    lap: _Laps,
) -> list[Digest]:
    if not edition.papers:
        return [Digest(p.key, [], trending_fallback=True) for p in chunk]
    known = resolve_profiles(edition, chunk)
    lap("resolve profiles")

    counts = edition.acronyms.expand(
        edition.index.count_texts([p.interests for p in chunk]), params.acronym_weight
    )
    interest = edition.index.weigh_counts(counts)
    lap("vectorise interests")
    terms = InterestTerms.of(edition.bm25.queries(counts), edition.bm25.by_term)
    lexical = terms.cosines()
    interest_scores = latent.hybrid(
        lexical,
        edition.latent.embed([p.interests for p in chunk], interest) @ edition.latent_vectors.T,
        params.latent_share,
    )
    # How the parts combine: see ``combine`` (CombSUM, or the interest sharpened).
    matched = interest_scores.max(axis=1) >= params.min_similarity
    topic_similarity = latent.hybrid(
        edition.topic_similarity.copy(), edition.topic_latent.copy(), params.latent_share
    )
    sources = (
        (known.topics, topic_similarity, params.topic_weight),
        (known.seeds, edition.library_similarity, params.seed_weight),
        (known.clicks, edition.library_similarity, params.click_weight),
    )
    profile_parts = [(flatten(lists), sims, weight) for lists, sims, weight in sources]
    personal = matched.copy()
    rest = np.flatnonzero(~matched)
    scores = np.zeros_like(interest_scores)
    if len(rest):  # no matched interest text: CombSUM of the parts present
        combined = params.interest_weight * interest_scores[rest]
        total_weight = params.interest_weight * (np.diff(interest.indptr)[rest] > 0)
        for part, (lists, sims, weight) in enumerate(sources):
            flat = flatten([lists[b] for b in rest.tolist()])
            if part == 0:
                add_max_topic_similarity(combined, flat, sims, weight)
            else:  # seeds and clicks stand in for the interest text: scored like one
                add_feedback_similarity(
                    combined,
                    flat,
                    edition,
                    weight,
                    latent_share=params.latent_share,
                    nearest_share=params.nearest_share,
                )
            total_weight += weight * (np.diff(flat[0]) > 0)
        combined /= np.maximum(total_weight, 1e-12)[:, None]
        scores[rest] = combined
        personal[rest] = (total_weight > 0) & (combined.max(axis=1) >= params.min_similarity)
    lap("similarity")

    # The click model is fitted for readers with enough clicks whose interest text did
    # not match (it is blended in below), and for the others only if it lifts them too.
    model_lifts = params.click_model_share > 0
    learners = [
        b
        for b in range(len(chunk))
        if len(known.clicks[b]) >= MIN_CLICKS and (model_lifts or not matched[b])
    ]
    model = np.zeros((0, len(edition.papers)), dtype=np.float32)
    if learners:
        model = click_model_scores(
            edition.library,
            edition.library_similarity,
            [known.clicks[b] for b in learners],
            [known.skipped[b] for b in learners],
            library_gram=edition.library_gram,
        )
    lap("click model")
    lead = np.flatnonzero(matched)
    if len(lead) == len(chunk):  # the common case: no fancy indexing
        scores = sharpened(
            edition, known, lead, interest_scores, topic_similarity, learners, model, params
        )
    elif len(lead):
        scores[lead] = sharpened(
            edition, known, lead, interest_scores[lead], topic_similarity, learners, model, params
        )
    # Papers already seen are out before scaling: the best paper left is the one at 1.
    exclude_already_sent(scores, known.sent)
    scores = pseudo_relevance_feedback(
        scores, edition.gram, top=params.prf_docs, weight=params.prf_weight
    )
    scores /= np.maximum(scores.max(axis=1, keepdims=True), 1e-12)
    # Without a matched interest, the click model is blended in (see ``feedback``).
    blended = [n for n, b in enumerate(learners) if not matched[b]]
    if blended:
        rows = np.array(learners)[blended]
        blend = np.array([blend_weight(len(known.clicks[b])) for b in rows], np.float32)
        scores[rows] = (1 - blend[:, None]) * scores[rows] + blend[:, None] * model[blended]
    lap("per-subscriber scaling, sharpening (+ PRF if on)")

    # Trending is a prior for what we do not know about a reader: it fades as their
    # seeds and clicks tell us more (half its weight at ``evidence_half`` papers).
    evidence = np.array([len(s) + len(c) for s, c in zip(known.seeds, known.clicks, strict=True)])
    tw = (params.trend_weight * params.evidence_half / (params.evidence_half + evidence))[:, None]
    final = scores
    final *= 1 - tw
    final += tw * edition.trending[None, :]
    final[~personal] = edition.trending
    subtract_disliked(
        final, known.disliked, known.seeds, edition.library_similarity, params.dislike_weight
    )
    exclude_already_sent(final, known.sent)
    lap("trending blend, no-repeat")
    k_max = max((p.k for p in chunk), default=0)
    columns = shortlist(final, max(params.shortlist, 2 * k_max))
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
    # Flat positions of the picks in (subscriber x paper) arrays: 1-D gathers are cheaper.
    at = rows * len(edition.papers) + papers
    lap("shortlist, MMR")
    # One row per part of the profile (interest, topic, seed, click), one column per pick.
    evidence = np.zeros((4, len(rows)), dtype=np.float32)
    items = np.zeros((4, len(rows)), dtype=np.int64)
    evidence[explain.INTEREST] = params.interest_weight * interest_scores.ravel()[at]
    for part, (flat, sims, weight) in enumerate(profile_parts, start=1):
        value, items[part] = best_item(flat, rows, papers, sims)
        evidence[part] = weight * value
    why = _reasons(
        edition, chunk, terms, known.clicks, evidence, items, personal, rows, papers, params
    )
    lap("reasons")
    values = final.ravel()[at].tolist()
    ids = list(map(edition.ids.__getitem__, papers.tolist()))
    make_pick = partial(tuple.__new__, Pick)
    picks: list[Pick] = list(map(make_pick, zip(ids, values, why, strict=True)))
    ends = np.cumsum(keep.sum(axis=1)).tolist()
    starts = [0, *ends][: len(ends)]
    fallbacks = (~personal).tolist()
    digests = [
        Digest(profile.key, picks[start:end], fallback, notes)
        for profile, start, end, fallback, notes in zip(
            chunk, starts, ends, fallbacks, known.notes, strict=True
        )
    ]
    lap("assemble digests")
    return digests


def _reasons(
    edition: PreparedEdition,
    chunk: Sequence[SubscriberProfile],
    interest: InterestTerms,
    clicks: Sequence[Sequence[int]],
    evidence: FloatArray,
    items: NDArray[np.int64],
    personal: NDArray[np.bool_],
    rows: NDArray[np.int64],
    papers: NDArray[np.int64],
    params: RankingParams,
) -> list[str]:
    """One reason per (row, paper) pick, from the part of the profile that weighed most."""
    n = len(rows)
    # No direct evidence: the pick came through the click model or pseudo-relevance feedback.
    learner = np.array([len(x) >= MIN_CLICKS for x in clicks])[rows]
    indirect = np.where(learner, explain.MODEL, explain.RELATED)
    # The first part with the largest evidence (argmax over four rows, as array passes).
    strongest = evidence[0].copy()
    part = np.zeros(n, dtype=np.int64)
    for row in range(1, 4):
        better = evidence[row] > strongest
        part[better] = row
        np.maximum(strongest, evidence[row], out=strongest)
    kind = np.where(strongest > 0, part, indirect)
    chosen = items.ravel()[np.minimum(kind, 3) * n + np.arange(n)]
    mine = np.flatnonzero(kind == explain.INTEREST)
    terms = explain.matched_terms(interest, rows[mine], papers[mine], edition.index.phrase_boost)
    named = terms >= 0
    chosen[mine[named]], wordings = edition.reasons.wordings(
        [p.interests for p in chunk], rows[mine[named]], terms[named], papers[mine[named]]
    )
    kind[mine[~named]] = indirect[mine[~named]]
    top = edition.trending_rank[papers] <= params.mention_trending_up_to
    fallback = ~personal[rows]
    told_nothing = np.array(
        [not (p.interests.strip() or p.topics or p.seed_papers or p.clicked) for p in chunk]
    )[rows]
    # Encode each distinct reason as one integer so sentences are built once per batch:
    # kind (from bit 49), trending mention (bit 48), detail (bits 20-47), paper (0-19).
    code = np.where(fallback, TRENDING_ONLY + told_nothing.astype(np.int64), kind)
    paper_part = np.where(fallback | top, papers, 0)
    code = (code << 1 | top) << 48 | np.where(fallback, 0, chosen) << 20 | paper_part
    unique, inverse = np.unique(code, return_inverse=True)
    sentences: list[str] = []
    for value in unique.tolist():
        paper = value & 0xFFFFF
        item = (value >> 20) & 0xFFFFFFF
        is_top = bool((value >> 48) & 1)
        which_kind = value >> 49
        if which_kind >= TRENDING_ONLY:
            told = which_kind == TRENDING_ONLY + 1
            sentences.append(edition.reasons.trending_only(paper, no_interests=told))
            continue
        subject: object = item
        if which_kind == explain.INTEREST:
            subject = wordings[item]
        elif which_kind == explain.TOPIC:
            subject = TOPICS[edition.topics.slugs[item]].label
        elif which_kind in (explain.SEED, explain.CLICK):
            subject = edition.library_titles[item]
        sentences.append(edition.reasons.personal(which_kind, subject, paper, top_trending=is_top))
    return list(map(sentences.__getitem__, inverse.tolist()))
