"""Reasons: one short, honest sentence for every pick.

A pick is explained by whichever part of the subscriber's profile contributed
most to its score: a matched interest term ("matches your interest in
*speculative decoding*"), a ticked topic, a seed or liked paper ("Because you
liked *X*"), a clicked paper, or its
trending rank. Matched terms come from the element-wise product of the
subscriber's interest vector and the paper's vector, computed for all picks of a
batch at once. Sentences are cached per term / topic / paper, so a batch of a
million picks builds only a few thousand strings.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from app.ranking.relevance import InterestTerms

TITLE_CHARS = 70

# Which part of the profile explains a pick (column order of the evidence array).
INTEREST, TOPIC, SEED, CLICK, MODEL, RELATED = range(6)


def shorten(title: str, limit: int = TITLE_CHARS) -> str:
    """A title cut at a word boundary so a reason stays one line."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    return title[:limit].rsplit(" ", 1)[0].rstrip(",:;") + "…"


def trending_phrase(rank: int, upvotes: int) -> str:
    """'#2 trending today, 142 upvotes'."""
    unit = "upvote" if upvotes == 1 else "upvotes"
    return f"#{rank} trending today, {upvotes} {unit}"


def best_in_group(
    values: NDArray[np.float32], group: NDArray[np.int64], n_groups: int
) -> NDArray[np.int64]:
    """Index (into ``values``) of the largest value of each group; -1 for an empty group.

    ``group`` must be sorted (entries of one group contiguous), as ``entries_of_rows``
    produces; then this is linear time (``reduceat``), no sort.
    """
    best = np.full(n_groups, -1, dtype=np.int64)
    if len(values) == 0:
        return best
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    maxima = np.maximum.reduceat(values, starts)
    run = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(values)]))
    candidates = np.flatnonzero(values == maxima[run])
    first = np.r_[True, run[candidates][1:] != run[candidates][:-1]]
    winners = candidates[first]
    best[group[winners]] = winners
    return best


def entries_of_rows(
    indptr: NDArray[np.int64], rows: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For a CSR-like layout: the positions of the entries of ``rows``, and their pair number."""
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    pair = np.repeat(np.arange(len(rows)), lengths)
    offsets = np.cumsum(lengths) - lengths
    positions = np.repeat(starts - offsets, lengths) + np.arange(len(pair))
    return positions, pair


def matched_terms(
    queries: InterestTerms,
    rows: NDArray[np.int64],
    papers: NDArray[np.int64],
    boost: NDArray[np.float32],
) -> NDArray[np.int64]:
    """For each (query row, paper) pair: the term contributing most to their cosine (-1: none).

    Only the queries' own few terms are looked at (a paper has hundreds): their
    paper weights are the batch's dense ``queries.weights``.
    ``boost`` favours a matched phrase ("kv cache") over one of its words ("kv").
    """
    indptr = queries.queries.indptr.astype(np.int64)
    positions, pair = entries_of_rows(indptr, rows)
    if len(positions) == 0:
        return np.full(len(rows), -1, dtype=np.int64)
    terms = queries.queries.indices[positions].astype(np.int64)
    # Flat indices into the dense weights: one gather instead of a 2-D fancy index.
    weights = queries.weights
    flat = queries.local.indices[positions].astype(np.int64) * weights.shape[1] + papers[pair]
    contribution = queries.queries.data[positions] * weights.ravel()[flat] * boost[terms]
    best = best_in_group(contribution, pair, len(rows))
    matched = (best >= 0) & (contribution[np.maximum(best, 0)] > 0)
    return np.where(matched, terms[np.maximum(best, 0)], -1)


class ReasonWriter:
    """Builds (and caches) reason sentences for one edition."""

    def __init__(self, terms: list[str], trending: list[str]) -> None:
        self._terms = terms
        self._trending = trending
        self._cache: dict[tuple[int, object], str] = {}

    def trending_only(self, paper: int, *, no_interests: bool) -> str:
        key = (20 if no_interests else 21, paper)
        reason = self._cache.get(key)
        if reason is None:
            lead = (
                "No interests set yet, so today's trending"
                if no_interests
                else "Nothing today closely matched your interests, so today's trending"
            )
            reason = f"{lead}: {self._trending[paper]}"
            self._cache[key] = reason
        return reason

    def personal(self, kind: int, detail: object, paper: int, *, top_trending: bool) -> str:
        key = (kind * 2 + int(top_trending), (detail, paper if top_trending else -1))
        reason = self._cache.get(key)
        if reason is None:
            reason = self._sentence(kind, detail)
            if top_trending:
                reason = f"{reason}; {self._trending[paper]}"
            self._cache[key] = reason
        return reason

    def _sentence(self, kind: int, detail: object) -> str:
        if kind == INTEREST:
            assert isinstance(detail, int)
            return f"Matches your interest in *{self._terms[detail]}*"
        if kind == TOPIC:
            return f"Matches your topic *{detail}*"
        if kind == SEED:
            return f"Because you liked *{detail}*"
        if kind == CLICK:
            return f"Similar to *{detail}*, which you opened"
        if kind == MODEL:
            return "Close to the papers you opened before"
        return "Related to today's best matches for your interests"
