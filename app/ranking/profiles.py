"""A batch of subscriber profiles resolved against an edition, and their parts' scores.

Profile papers (seeds, clicks, skipped, already sent) become row numbers in the
edition's library or candidates; unknown seed ids become notes. The helpers
score the list-valued parts of a profile (topics, seeds, clicks) as the best
similarity with any one item, with array operations over the whole batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from app.ranking import explain
from app.ranking.candidates import SubscriberProfile
from app.ranking.edition import PreparedEdition
from app.ranking.feedback import MIN_CLICKS
from app.ranking.latent import hybrid

FloatArray = NDArray[np.float32]
# Only the most recent clicks / seeds enter the query (older taste fades).
MAX_CLICKS = 10
MAX_SEEDS = 20
MAX_DISLIKED = 20


@dataclass
class ResolvedProfiles:
    """A chunk's profile papers resolved to library rows (unknown ids noted)."""

    topics: list[list[int]]
    seeds: list[list[int]]
    clicks: list[list[int]]
    skipped: list[list[int]]
    sent: list[list[int]]
    notes: list[list[str]]
    disliked: list[list[int]] = field(default_factory=list)


def resolve_profiles(
    edition: PreparedEdition, chunk: Sequence[SubscriberProfile]
) -> ResolvedProfiles:
    rows, columns = edition.library_row, edition.column_of
    topic_pos = {slug: n for n, slug in enumerate(edition.topics.slugs)}
    none: list[int] = []  # shared, never mutated: most profiles have no papers at all
    known = ResolvedProfiles([], [], [], [], [], [])
    # Subscribers share topic sets: resolve each distinct set once (lists only read).
    topic_lists: dict[tuple[str, ...], list[int]] = {(): none}
    for profile in chunk:
        topics = tuple(profile.topics)
        resolved = topic_lists.get(topics)
        if resolved is None:
            resolved = topic_lists[topics] = [topic_pos[t] for t in topics if t in topic_pos]
        known.topics.append(resolved)
        if not (profile.seed_papers or profile.clicked or profile.already_sent):
            # The common case: nothing to look up (notes stay one fresh list per digest).
            known.seeds.append(none)
            known.clicks.append(none)
            known.skipped.append(none)
            known.sent.append(none)
            known.notes.append([])
            known.disliked.append(none)
            continue
        seeds, clicks, sent, notes = none, none, none, []
        if profile.seed_papers:
            seeds = [rows[i] for i in profile.seed_papers if i in rows][-MAX_SEEDS:]
            notes = [
                f"note: seed paper {i} is not one we know yet, so it was ignored"
                for i in profile.seed_papers
                if i not in rows
            ]
        if profile.clicked:
            clicks = [rows[i] for i in profile.clicked if i in rows][-MAX_CLICKS:]
        known.seeds.append(seeds)
        known.clicks.append(clicks)
        known.notes.append(notes)
        known.skipped.append(
            [rows[i] for i in profile.shown_not_clicked if i in rows]
            if len(clicks) >= MIN_CLICKS
            else none
        )
        # A seed or clicked paper is one the subscriber has already seen: never repeat it.
        if profile.already_sent or profile.seed_papers or profile.clicked:
            seen = [*profile.already_sent, *profile.seed_papers, *profile.clicked]
            sent = [columns[i] for i in seen if i in columns]
        known.sent.append(sent)
        known.disliked.append(
            [rows[i] for i in profile.disliked if i in rows][-MAX_DISLIKED:]
            if profile.disliked
            else none
        )
    return known


def subtract_disliked(
    final: FloatArray,
    disliked: Sequence[Sequence[int]],
    liked: Sequence[Sequence[int]],
    sims: FloatArray,
    weight: float,
) -> None:
    """Negative evidence: lower each paper by ``weight`` x how much more it is like a
    paper the reader disliked than like one they liked (best cosines; never raised).

    The contrast, not the plain similarity, because a disliked paper is usually close
    to the interest (it was picked): its neighbours include papers like the ones the
    reader asked for more of, and "fewer like this" must not push those out.
    """
    rows, penalty = max_similarity(flatten(disliked), sims)
    if len(rows) == 0:
        return
    with_likes, like = max_similarity(flatten([liked[b] for b in rows.tolist()]), sims)
    if len(with_likes):
        penalty[with_likes] -= like
        np.maximum(penalty, 0.0, out=penalty)
    final[rows] -= weight * penalty


# Lists of item numbers, one per subscriber, CSR-style: (indptr, items).
Flat = tuple[NDArray[np.int64], NDArray[np.int64]]


def flatten(lists: Sequence[Sequence[int]]) -> Flat:
    """CSR-style (indptr, items) of a list of lists."""
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    indptr = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    items = np.fromiter((c for x in lists for c in x), dtype=np.int64, count=int(indptr[-1]))
    return indptr, items


def add_max_similarity(scores: FloatArray, lists: Flat, sims: FloatArray, weight: float) -> None:
    """Add, for row b and every paper, ``weight`` x its best cosine with an item of lists[b].

    The maximum, not the mean, because a subscriber who ticks "robotics" and
    "speech" wants papers on either, not papers halfway between. Only rows with
    items are touched.
    """
    rows, best = max_similarity(lists, sims)
    if len(rows):
        scores[rows] += weight * best


def max_similarity(lists: Flat, sims: FloatArray) -> tuple[NDArray[np.int64], FloatArray]:
    """The rows with items, and for each its best cosine with one of them, per paper."""
    indptr, items = lists
    lengths = np.diff(indptr)
    rows = np.flatnonzero(lengths)
    if len(rows) == 0:
        return rows, np.zeros((0, sims.shape[1]), dtype=np.float32)
    best = sims[items[indptr[rows]]]
    for position in range(1, int(lengths.max())):
        more = np.flatnonzero(lengths[rows] > position)
        best[more] = np.maximum(best[more], sims[items[indptr[rows[more]] + position]])
    return rows, best


def mean_similarity(lists: Flat, sims: FloatArray) -> FloatArray:
    """For row b and every paper, its mean cosine with the items of lists[b] (0: no items).

    The mean cosine is the cosine with the items' centroid (up to its length): Rocchio's
    positive term. For feedback, where the items are all evidence of one interest, the
    centroid is steadier than the best single item, which follows one paper's quirks.
    One sparse (rows x items) by dense (items x papers) product.
    """
    indptr, items = lists
    lengths = np.diff(indptr)
    share = np.repeat(1.0 / np.maximum(lengths, 1), lengths).astype(np.float32)
    averaging = sp.csr_matrix((share, items, indptr), shape=(len(lengths), sims.shape[0]))
    result: FloatArray = np.asarray(averaging @ sims, dtype=np.float32)
    return result


def feedback_similarity(
    lists: Flat,
    lexical: FloatArray,
    latent_similarity: FloatArray,
    latent_share: float,
    nearest_share: float = 0.0,
) -> FloatArray:
    """For row b and every paper, its mean similarity with the papers of lists[b].

    The mean of the TF-IDF cosines and of the latent similarities, mixed as an
    interest's two halves are (``latent.hybrid``): the Rocchio centroid of the
    reader's papers in both spaces. A mean, not a maximum: a paper like several of
    them counts for more than one like a single paper's quirks, and a reader whose
    papers cover two subjects still finds papers on either (a sum of similarities is
    not a point halfway between).

    ``nearest_share`` of the TF-IDF half is instead the best cosine with any one of
    them: for a reader who wrote nothing, a library mostly on one subject must not
    drown the few papers it holds on another (the centroid weighs a subject by its
    share of the library; the nearest paper does not).
    """
    cosine = mean_similarity(lists, lexical)
    if nearest_share > 0.0:
        rows, nearest = max_similarity(lists, lexical)
        cosine *= 1.0 - nearest_share
        cosine[rows] += nearest_share * nearest
    if latent_share == 0.0:
        return cosine
    return hybrid(cosine, mean_similarity(lists, latent_similarity), latent_share)


def add_feedback_similarity(
    scores: FloatArray,
    lists: Flat,
    edition: PreparedEdition,
    weight: float,
    *,
    latent_share: float,
    nearest_share: float = 0.0,
) -> None:
    """Add ``weight`` x ``feedback_similarity`` to the rows of ``scores`` that have items."""
    rows = np.flatnonzero(np.diff(lists[0]))
    if len(rows) == 0:
        return
    indptr, items = lists
    own = flatten([items[indptr[b] : indptr[b + 1]].tolist() for b in rows.tolist()])
    scores[rows] += weight * feedback_similarity(
        own, edition.library_similarity, edition.library_latent, latent_share, nearest_share
    )


def add_max_topic_similarity(
    scores: FloatArray, topics: Flat, sims: FloatArray, weight: float
) -> None:
    """``add_max_similarity`` for topics: computed once per distinct set of topics.

    There are only a dozen topics, so subscribers share topic sets; each set's
    best-of row is built once and gathered, instead of one pass per ticked topic.
    """
    rows, table, which = topic_set_similarity(topics, sims)
    if len(rows) == 0:
        return
    # Weighted once per set (the same products as weighting every row), then gathered.
    table *= weight
    if len(rows) == len(scores):
        scores += table[which]
    else:
        scores[rows] += table[which]


def topic_set_similarity(
    topics: Flat, sims: FloatArray
) -> tuple[NDArray[np.int64], FloatArray, NDArray[np.int64]]:
    """The rows with topics, one best-of row per distinct topic set, and each row's set."""
    indptr, items = topics
    lengths = np.diff(indptr)
    rows = np.flatnonzero(lengths)
    if len(rows) == 0:
        return rows, np.zeros((0, sims.shape[1]), dtype=np.float32), rows
    owner = np.repeat(np.arange(len(lengths)), lengths)
    masks = np.zeros(len(lengths), dtype=np.int64)
    np.bitwise_or.at(masks, owner, np.left_shift(1, items))
    distinct, which = np.unique(masks[rows], return_inverse=True)
    table = np.zeros((len(distinct), sims.shape[1]), dtype=np.float32)
    for topic in range(sims.shape[0]):
        has = (distinct >> topic) & 1 == 1
        table[has] = np.maximum(table[has], sims[topic])
    return rows, table, which


def best_item(
    lists: Flat,
    rows: NDArray[np.int64],
    papers: NDArray[np.int64],
    sims: FloatArray,
) -> tuple[FloatArray, NDArray[np.int64]]:
    """For each (row, paper) pair: the item of lists[row] most similar to the paper, and
    that cosine (0 and item 0 when the row has no items)."""
    indptr, items = lists
    positions, pair = explain.entries_of_rows(indptr, rows)
    if len(positions) == 0:
        return np.zeros(len(rows), dtype=np.float32), np.zeros(len(rows), dtype=np.int64)
    candidates = items[positions]
    values = sims[candidates, papers[pair]]
    best = explain.best_in_group(values, pair, len(rows))
    found = best >= 0
    safe = np.maximum(best, 0)
    value = np.where(found, values[safe], 0).astype(np.float32)
    return value, np.where(found, candidates[safe], 0)
