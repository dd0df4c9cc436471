"""How the parts of a profile become one personal score per paper.

A profile has up to four parts: the interest text, ticked topics, seed papers
(brought or liked) and clicked papers. Each gives a similarity per paper. They are
combined two ways:

* **The interest text matched something: it leads; topics sharpen it, feedback
  lifts it.** What a reader wrote is the most specific thing we know. Topics are
  broad, so they only multiply the interest score (by at most ``1 + topic_sharpen``).
  Seed and clicked papers are what the reader showed us: the Rocchio centroid of
  their similarities (``profiles.feedback_similarity``), row-scaled, is *added*
  with a bounded weight::

      personal = base * (1 + t * topic / max(topic)) + w_s * seeds' + w_c * clicks'
      base = interest / max(interest),  part' = part / max(part),  w = cap * n / (n + half)

  So a paper the interest text missed but that is like the reader's papers can
  come up (a reader's "more like this" finds what their words did not say), yet
  by at most ``w_s + w_c``: a paper is never overtaken by one whose interest score
  is lower than its own by more than that. ``w`` grows with the evidence
  (``evidence_weight``; caps ``seed_lift`` and ``click_lift``, clicks the weaker
  signal). Papers shown but not clicked do not enter here: readers rarely click
  everything that is relevant.
* **No interest text, or it matched nothing: CombSUM.** The parts present are a
  weighted mean, each a similarity in [0, 1] (what a reader who only ticked topics
  or only brought papers gets); seed and clicked papers then stand in for the
  interest text and are scored like one (their centroid, lexical and latent), half of
  the lexical side being the best cosine with any one of them (``nearest_share``), so a
  subject that is a small part of a reader's library is not drowned by the rest.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from app.ranking.edition import PreparedEdition
from app.ranking.profiles import (
    ResolvedProfiles,
    feedback_similarity,
    flatten,
    topic_set_similarity,
)

FloatArray = NDArray[np.float32]


class Sharpening(Protocol):
    """The knobs ``sharpened`` reads (``RankingParams`` has them)."""

    @property
    def topic_sharpen(self) -> float: ...
    @property
    def seed_lift(self) -> float: ...
    @property
    def click_lift(self) -> float: ...
    @property
    def evidence_half(self) -> float: ...
    @property
    def feedback_latent_share(self) -> float: ...
    @property
    def click_model_share(self) -> float: ...


def evidence_weight(count: NDArray[np.int64], cap: float, half: float) -> FloatArray:
    """``cap * n / (n + half)``: a part's weight for ``n`` items of evidence."""
    n = count.astype(np.float32)
    weight: FloatArray = (cap * n / (n + half)).astype(np.float32)
    return weight


def row_scaled(scores: FloatArray) -> FloatArray:
    """Each row divided by its maximum (all-zero rows stay zero)."""
    top = scores.max(axis=1, keepdims=True)
    scaled: FloatArray = scores / np.maximum(top, 1e-12)
    return scaled


def sharpened(
    edition: PreparedEdition,
    known: ResolvedProfiles,
    lead: NDArray[np.int64],
    interest_scores: FloatArray,
    topic_similarity: FloatArray,
    learners: list[int],
    model: FloatArray,
    params: Sharpening,
) -> FloatArray:
    """The ``lead`` rows' interest scores (given) sharpened by topics, lifted by feedback.

    Topics multiply (by their best match, row-scaled once per distinct topic set).
    Seeds and clicks add their part, row-scaled, times a weight that grows with the
    evidence up to ``seed_lift`` / ``click_lift``: the part is the papers' centroid
    similarity (``feedback_similarity``), and for clicks, once there are enough to fit
    it, mixed with the click model (``click_model_share``). Only rows that have a
    part pay for it.
    """
    base = row_scaled(interest_scores)
    rows, table, which = topic_set_similarity(
        flatten([known.topics[b] for b in lead.tolist()]), topic_similarity
    )
    if len(rows):
        boost = 1 + params.topic_sharpen * row_scaled(table)
        if len(rows) == len(base):
            base *= boost[which]
        else:
            base[rows] *= boost[which]
    fitted = dict(zip(learners, range(len(learners)), strict=True))
    owners = lead.tolist()
    for lists, cap in ((known.seeds, params.seed_lift), (known.clicks, params.click_lift)):
        with_items = [n for n, b in enumerate(owners) if lists[b]]
        if not with_items:
            continue
        items = flatten([lists[owners[n]] for n in with_items])
        part = row_scaled(
            feedback_similarity(
                items,
                edition.library_similarity,
                edition.library_latent,
                params.feedback_latent_share,
            )
        )
        if lists is known.clicks and params.click_model_share > 0:
            by_model = [
                (m, fitted[owners[n]]) for m, n in enumerate(with_items) if owners[n] in fitted
            ]
            if by_model:
                at, models = (list(x) for x in zip(*by_model, strict=True))
                share = params.click_model_share
                part[at] = (1 - share) * part[at] + share * model[models]
        weight = evidence_weight(np.diff(items[0]), cap, params.evidence_half)
        base[with_items] += weight[:, None] * part
    return base
