"""Diversity and no-repeat: maximal marginal relevance over a short list.

MMR (Carbonell & Goldstein, 1998) picks, one at a time, the paper maximising::

    lambda * score(paper) - (1 - lambda) * max cosine(paper, already picked)

so a digest is not five near-duplicates of the best match. It runs on each
subscriber's short list (the best ``shortlist`` papers by score), for a whole
batch of subscribers at once: every step is a handful of array operations on a
(subscribers x shortlist) array.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

NOT_PICKED = -1


def exclude_already_sent(
    scores: NDArray[np.float32], sent_columns: Sequence[Sequence[int]]
) -> None:
    """Make papers already sent to a subscriber unpickable (in place): never repeat."""
    rows = np.fromiter(
        (b for b, columns in enumerate(sent_columns) for _ in columns), dtype=np.int64
    )
    if len(rows) == 0:
        return
    columns = np.fromiter((c for cols in sent_columns for c in cols), dtype=np.int64)
    scores[rows, columns] = -np.inf


def shortlist(scores: NDArray[np.float32], size: int) -> NDArray[np.int64]:
    """Column numbers of each row's ``size`` best scores, best first."""
    size = min(size, scores.shape[1])
    if size == 0:
        return np.zeros((scores.shape[0], 0), dtype=np.int64)
    part = np.argpartition(-scores, size - 1, axis=1)[:, :size]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    result: NDArray[np.int64] = np.take_along_axis(part, order, axis=1).astype(np.int64)
    return result


def mmr(
    columns: NDArray[np.int64],
    scores: NDArray[np.float32],
    gram: NDArray[np.float32],
    *,
    k: int,
    lambda_: float,
) -> NDArray[np.int64]:
    """Pick up to ``k`` of each row's shortlisted ``columns`` by MMR, in pick order.

    ``scores`` are the shortlisted papers' scores (``-inf`` = not allowed) and
    ``gram`` the cosine similarity between all candidates. Rows with fewer than
    ``k`` allowed papers are padded with ``NOT_PICKED``.
    """
    n_rows, width = columns.shape
    k = min(k, width)
    picked = np.full((n_rows, k), NOT_PICKED, dtype=np.int64)
    if k == 0:
        return picked
    flat_available = np.ascontiguousarray(np.isfinite(scores)).reshape(-1)
    available = flat_available.reshape(n_rows, width)
    redundancy = np.zeros_like(scores)
    # Flat indices: gathers from the Gram matrix and the (rows x width) arrays are
    # cheaper than broadcast 2-D fancy indexing.
    row_start = np.arange(n_rows) * width
    flat_gram, flat_columns = gram.ravel(), columns.ravel()
    relevance = lambda_ * scores
    for step in range(k):
        value = relevance - (1.0 - lambda_) * redundancy
        np.copyto(value, -np.inf, where=~available)
        flat = row_start + np.argmax(value, axis=1)
        chosen_column = flat_columns[flat]
        picked[:, step] = np.where(flat_available[flat], chosen_column, NOT_PICKED)
        flat_available[flat] = False
        similar = flat_gram[chosen_column[:, None] * gram.shape[1] + columns]
        np.maximum(redundancy, similar, out=redundancy)
    return picked
