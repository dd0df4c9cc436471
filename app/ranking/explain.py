"""Reasons: one short, honest sentence for every pick.

A pick is explained by whichever part of the subscriber's profile contributed
most to its score: a matched interest term ("matches your interest in
*speculative decoding*"), a ticked topic, a seed paper, a clicked paper, or its
trending rank. Matched terms come from the element-wise product of the
subscriber's interest vector and the paper's vector, computed for all picks of a
batch at once. Sentences are cached per term / topic / paper, so a batch of a
million picks builds only a few thousand strings.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

TITLE_CHARS = 70

# Which part of the profile explains a pick (column order of the evidence array).
INTEREST, TOPIC, SEED, CLICK, MODEL = range(5)


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


def matched_terms(
    queries: sp.csr_matrix, papers: sp.csr_matrix, boost: NDArray[np.float32]
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """For row-aligned query/paper pairs: their cosine and the term contributing most.

    ``boost`` multiplies each term's contribution when choosing the term to name,
    so a matched phrase ("kv cache") is preferred over one of its words ("kv").
    """
    products = sp.csr_matrix(queries.multiply(papers))
    totals = np.asarray(products.sum(axis=1), dtype=np.float32).ravel()
    if products.nnz == 0:
        return totals, np.zeros(len(totals), dtype=np.int64)
    products.data *= boost[products.indices]
    best = np.asarray(products.argmax(axis=1)).ravel().astype(np.int64)
    return totals, best


class ReasonWriter:
    """Builds (and caches) reason sentences for one edition."""

    def __init__(self, terms: list[str], trending: list[str]) -> None:
        self._terms = terms
        self._trending = trending
        self._cache: dict[tuple[int, object], str] = {}

    def trending_only(self, paper: int, *, no_interests: bool) -> str:
        key = (10 if no_interests else 11, paper)
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
            return f"Similar to *{detail}*, a paper you told us you like"
        if kind == CLICK:
            return f"Similar to *{detail}*, which you opened"
        return "Close to the papers you opened before"
