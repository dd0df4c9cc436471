"""Learning from clicks: a per-subscriber logistic regression, blended in.

Clicked papers are positives; papers we showed that were not clicked are weak
negatives (weight ``NEGATIVE_WEIGHT``: not clicking is a weak, noisy "no" — the
subscriber may simply not have had time). Once a subscriber has at least
``MIN_CLICKS`` clicks on papers we still have vectors for, we fit an
L2-regularised logistic regression on their TF-IDF paper vectors, in the spirit
of arxiv-sanity-lite's per-tag SVM and Scholar Inbox's per-user classifier.

How it is fitted: with the linear kernel, the representer theorem says the
weight vector is a combination of the subscriber's own labelled papers,
``w = sum_i alpha_i x_i``; so we optimise ``alpha`` (at most ``MAX_LABELS``
numbers per subscriber) instead of a vocabulary-sized vector, for every
subscriber of a batch at once, with a fixed number of preconditioned gradient
steps on stacked small kernel matrices. There is no intercept: an unrelated
paper scores zero, i.e. probability 1/2, the "no information" point.

How it is used: for a subscriber without a matched interest text, with ``rel``
their similarity score (scaled to [0, 1]) and ``p`` the probability (min-max
scaled over the edition's candidates), the personal score becomes::

    rel' = (1 - w) * rel + w * p,     w = min(MAX_BLEND, n / (n + BLEND_HALF))

where ``n`` is the number of clicks. At 5 clicks ``w`` is 0.25, at 15 it is 0.5,
and it never exceeds 0.6. Below ``MIN_CLICKS`` the classifier would fit noise.
A subscriber whose interest text matched gets their clicks' centroid instead (see
``combine``; ``RankingParams.click_model_share`` mixes the model in): on our judged
set the negatives cost more than the model added, and the interest text already
says what the reader does not want.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

MIN_CLICKS = 5
NEGATIVE_WEIGHT = 0.3
MAX_LABELS = 40
MAX_POSITIVES = 25
REGULARISATION = 0.1
ITERATIONS = 30
MAX_BLEND = 0.6
BLEND_HALF = 15.0


def blend_weight(n_clicks: int) -> float:
    """How much the click model counts in the personal score (0 below MIN_CLICKS)."""
    if n_clicks < MIN_CLICKS:
        return 0.0
    return min(MAX_BLEND, n_clicks / (n_clicks + BLEND_HALF))


def _sigmoid(x: NDArray[np.float32]) -> NDArray[np.float32]:
    result: NDArray[np.float32] = 0.5 * (1.0 + np.tanh(0.5 * x))
    return result


def click_model_scores(
    library: sp.csr_matrix,
    to_candidates: NDArray[np.float32],
    positives: Sequence[Sequence[int]],
    negatives: Sequence[Sequence[int]],
    *,
    library_gram: NDArray[np.float32] | None = None,
) -> NDArray[np.float32]:
    """Per-subscriber click probabilities of every candidate, min-max scaled to [0, 1].

    ``positives[b]`` and ``negatives[b]`` are row numbers in ``library`` (most
    recent last) for subscriber ``b``; ``to_candidates`` is the cosine of every
    library paper with every candidate, ``library_gram`` (optional) that of every
    library paper with every other. Returns one row per subscriber.
    """
    n_subscribers = len(positives)
    n_candidates = to_candidates.shape[1]
    if n_subscribers == 0:
        return np.zeros((0, n_candidates), dtype=np.float32)

    labels: list[list[int]] = []
    signs: list[list[float]] = []
    for pos, neg in zip(positives, negatives, strict=True):
        kept_pos = list(pos)[-MAX_POSITIVES:]
        kept_neg = list(neg)[-(MAX_LABELS - len(kept_pos)) :] if len(kept_pos) < MAX_LABELS else []
        labels.append(kept_pos + kept_neg)
        signs.append([1.0] * len(kept_pos) + [-1.0] * len(kept_neg))
    width = max(len(row) for row in labels)
    used = np.unique(np.fromiter((i for row in labels for i in row), dtype=np.int64))
    local = {int(row): n for n, row in enumerate(used)}

    index = np.zeros((n_subscribers, width), dtype=np.int64)
    y = np.zeros((n_subscribers, width), dtype=np.float32)
    for b, (row, sign) in enumerate(zip(labels, signs, strict=True)):
        index[b, : len(row)] = [local[i] for i in row]
        y[b, : len(row)] = sign
    present = y != 0
    cost = np.where(y > 0, 1.0, NEGATIVE_WEIGHT).astype(np.float32) * present

    if library_gram is not None:
        gram = library_gram[np.ix_(used, used)]
    else:
        vectors = library[used]
        gram = np.asarray((vectors @ vectors.T).toarray(), dtype=np.float32)
    kernel = gram[index[:, :, None], index[:, None, :]]
    kernel *= present[:, :, None] & present[:, None, :]
    # Step size from a Lipschitz bound of the loss (Gershgorin on the kernel).
    lipschitz = 0.25 * np.abs(kernel).sum(axis=2).max(axis=1) + REGULARISATION
    step = (1.0 / lipschitz)[:, None].astype(np.float32)

    alpha = np.zeros((n_subscribers, width), dtype=np.float32)
    for _ in range(ITERATIONS):
        margin = y * np.matmul(kernel, alpha[:, :, None])[:, :, 0]
        loss_gradient = -cost * y * _sigmoid(-margin)
        alpha -= step * (loss_gradient + REGULARISATION * alpha)

    weights = sp.csr_matrix(
        (alpha.ravel(), (np.repeat(np.arange(n_subscribers), width), index.ravel())),
        shape=(n_subscribers, len(used)),
    )
    probability = _sigmoid(np.asarray(weights @ to_candidates[used], dtype=np.float32))
    low = probability.min(axis=1, keepdims=True)
    span = probability.max(axis=1, keepdims=True) - low
    scaled: NDArray[np.float32] = np.where(
        span > 0, (probability - low) / np.maximum(span, 1e-12), 0
    )
    return scaled.astype(np.float32)
