"""Reasons: one short, honest sentence for every pick.

A pick is explained by whichever part of the subscriber's profile contributed
most to its score: a matched interest term ("matches your interest in
*speculative decoding*"), a ticked topic, a seed or liked paper ("Because you
liked *X*"), a clicked paper, or its
trending rank. Matched terms come from the element-wise product of the
subscriber's interest vector and the paper's vector, computed for all picks of a
batch at once. Sentences are cached per wording / topic / paper, so a batch of a
million picks builds only a few thousand strings.

A matched term is named in the reader's own words (``ReasonWriter.wordings``): as
the phrase of their interests it came from, as they wrote it ("LLM agents", not
"llm agent"), when the paper holds every word of that phrase. When it holds only
some ("faster" of "faster LLM inference": an optimiser that converges faster),
the reason says which part, as written: "Matches *faster*, part of your interest
in *faster LLM inference*" -- naming the whole phrase would claim a match the
paper does not make. A phrase longer than ``PHRASE_CHARS`` (a sentence) is named
by the matched words alone, as written. A term that came from an acronym is named
by the phrase that holds the acronym (or its long form), as part of it unless the
acronym is the whole phrase; one found nowhere in the text keeps the papers'
spelling.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from itertools import chain

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from app.ranking.relevance import TOKEN, InterestTerms

TITLE_CHARS = 70
# A match is named as the whole phrase of the interests it is in when the phrase is at
# most this long (longer ones are sentences: the matched words are named alone).
PHRASE_CHARS = 48
# Phrases kept read per edition (then all forgotten, and read again as they come).
PHRASES_KEPT = 1 << 17


# How a match is named: a phrase (or words) of the reader's, or (matched words, the
# phrase they are part of).
Wording = str | tuple[str, str]


def _phrases(text: str) -> list[str]:
    """Interests are phrases separated by commas or semicolons (as the digest lists them)."""
    return text.replace(";", ",").split(",")


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


Spans = Callable[[str], dict[int, tuple[int, int]]]


class _ReadPhrases:
    """Phrases of interest texts, each read once: its terms and how each is named,
    laid end to end (CSR-like) so a batch gathers its rows' entries in one pass.

    Only appended to; when full, the owner starts a new one (``names`` handed out
    before stay valid: a new store has its own list).
    """

    def __init__(self) -> None:
        self.number: dict[str, int] = {}
        # Per phrase: term -> the number of its name as part of the phrase.
        self.parts: list[dict[int, int]] = []
        self.names: list[Wording] = []
        self._name_number: dict[Wording, int] = {}
        self._indptr = [0]
        self._terms: list[int] = []
        self._named: list[int] = []
        self._parts: list[int] = []
        # Per phrase, which papers hold each of its words (bits, packed; ``settle``): the
        # phrase is then named whole for them, in part for the others.
        self._whole: list[NDArray[np.uint8]] = []
        # The phrases read since: their words, and how many (-1: one that no paper holds).
        self._unsettled: list[tuple[list[int], int]] = []
        self._arrays: tuple[NDArray[np.int64], ...] | None = None
        self._whole_bits: NDArray[np.uint8] | None = None

    def name(self, wording: Wording) -> int:
        number = self._name_number.get(wording)
        if number is None:
            number = self._name_number[wording] = len(self.names)
            self.names.append(wording)
        return number

    def add(
        self,
        phrase: str,
        spans: dict[int, tuple[int, int]],
        names: list[tuple[Wording, Wording]],
        words: list[int] | None,
    ) -> int:
        """``names``: per term of ``spans``, its wording when the paper holds the whole
        phrase, and when it holds only part of it; ``words``: the one-word terms a paper
        must hold for the whole (None: a word no paper holds)."""
        number = self.number[phrase] = len(self.parts)
        parts = [self.name(part) for _, part in names]
        self.parts.append(dict(zip(spans, parts, strict=True)))
        self._terms.extend(spans)
        self._named.extend(self.name(whole) for whole, _ in names)
        self._parts.extend(parts)
        self._indptr.append(len(self._terms))
        self._unsettled.append(([], -1) if words is None else (words, len(words)))
        self._arrays = None
        return number

    def settle(self, presence: sp.csr_matrix) -> None:
        """Which papers hold every word of each phrase read since the last call, in one
        product: ``presence`` is terms x papers, non-zero where a paper holds a term."""
        if not self._unsettled:
            return
        words = [w for w, _ in self._unsettled]
        needed = np.array([n for _, n in self._unsettled], dtype=np.int64)
        lengths = np.fromiter(map(len, words), np.int64, len(words))
        total = int(lengths.sum())
        wanted = sp.csr_matrix(
            (
                np.ones(total, dtype=np.float32),
                np.fromiter(chain.from_iterable(words), np.int64, total),
                np.r_[0, np.cumsum(lengths)],
            ),
            shape=(len(words), presence.shape[0]),
        )
        held = np.asarray((wanted @ presence).toarray()) == needed[:, None]
        self._whole.append(np.packbits(held, axis=1))
        self._unsettled = []
        self._whole_bits = None

    def held_whole(
        self, phrases: NDArray[np.int64], papers: NDArray[np.int64]
    ) -> NDArray[np.bool_]:
        """Whether each paper holds every word of the phrase beside it (after ``settle``)."""
        if self._whole_bits is None:
            self._whole_bits = np.vstack(self._whole) if self._whole else np.zeros((0, 0), np.uint8)
        bits = self._whole_bits[phrases, papers >> 3] >> (7 - (papers & 7))
        held: NDArray[np.bool_] = (bits & 1).astype(np.bool_)
        return held

    def entries(
        self, phrases: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """The terms of ``phrases``, their names' numbers (whole phrase held, part of it
        held) and which phrase (position in ``phrases``) each is of, phrase by phrase."""
        if self._arrays is None:
            self._arrays = tuple(
                np.array(x, dtype=np.int64)
                for x in (self._indptr, self._terms, self._named, self._parts)
            )
        indptr, terms, named, parts = self._arrays
        positions, of = entries_of_rows(indptr, phrases)
        return terms[positions], named[positions], parts[positions], of


class ReasonWriter:
    """Builds (and caches) reason sentences for one edition."""

    def __init__(
        self,
        terms: list[str],
        trending: list[str],
        spans: Spans,
        sources: Callable[[int], list[int]],
        two_word: NDArray[np.bool_],
        presence: sp.csr_matrix,
    ) -> None:
        self._terms = terms
        # Two-word terms are not needed for a whole phrase to be held: their words are.
        self._two_word = two_word
        # terms x papers, non-zero where the paper holds the term.
        self._presence = sp.csr_matrix(presence != 0, dtype=np.float32)
        self._trending = trending
        self._cache: dict[tuple[int, object], str] = {}
        self._worded: dict[tuple[int, object], str] = {}
        self._spans = spans
        # term -> terms that stand for it in a text: what to name it by if it is not written.
        self._sources = sources
        self._source_terms: dict[int, list[int]] = {}
        # Phrases recur across readers ("diffusion models"): each is read once. An
        # edition is shared by a process's requests (the site's search), hence the lock.
        self._read = _ReadPhrases()
        self._lock = threading.Lock()

    def wordings(
        self,
        texts: Sequence[str],
        rows: NDArray[np.int64],
        terms: NDArray[np.int64],
        papers: NDArray[np.int64],
    ) -> tuple[NDArray[np.int64], list[Wording]]:
        """For each pick (its row in ``texts``, the interest texts, and its matched term):
        how the reader's words name the match, as a number into the list returned.

        The first phrase that holds the term names it: whole when the pick's paper (a
        column of the edition, in ``papers``) holds each of the phrase's words, as the
        part matched otherwise. Per batch, the rows' phrases are gathered end to end
        and every pick is looked up among them at once.
        """
        with self._lock:
            if len(self._read.parts) >= PHRASES_KEPT:
                self._read = _ReadPhrases()
            read = self._read
            owners = np.unique(rows)
            split = [_phrases(texts[row]) for row in owners.tolist()]
            phrases = [phrase for parts in split for phrase in parts]
            get = read.number.get
            numbers = [get(phrase, -1) for phrase in phrases]
            for n in (n for n, number in enumerate(numbers) if number < 0):
                numbers[n] = get(phrases[n], -1)  # a phrase twice in one batch is read once
                if numbers[n] < 0:
                    numbers[n] = self._read_phrase(read, phrases[n])
            read.settle(self._presence)
            read_numbers = np.array(numbers, dtype=np.int64)
            phrase_terms, named, parts, of = read.entries(read_numbers)
            owner = np.repeat(owners, np.fromiter(map(len, split), np.int64, len(split)))[of]
            width = max(len(self._terms), 1)
            # The first phrase's entry of each (row, term): np.unique gives first indices.
            keys, first = np.unique(owner * width + phrase_terms, return_index=True)
            wanted = rows * width + terms
            out = np.full(len(rows), -1, dtype=np.int64)
            if len(keys):
                at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
                found = np.flatnonzero(keys[at] == wanted)
                entry = first[at[found]]
                whole = read.held_whole(read_numbers[of[entry]], papers[found])
                out[found] = np.where(whole, named[entry], parts[entry])
            for n in np.flatnonzero(out < 0).tolist():
                out[n] = self._elsewhere(read, texts[int(rows[n])], int(terms[n]))
            return out, read.names

    def _read_phrase(self, read: _ReadPhrases, phrase: str) -> int:
        tidy = " ".join(phrase.split())
        spans = self._spans(tidy)
        names = [self._wording(tidy, *span, fallback=self._terms[t]) for t, span in spans.items()]
        # A word no paper of the index holds ("LLM" where none writes it) is a word this
        # paper does not hold either: the phrase is then only ever matched in part.
        words = {span[0]: t for t, span in spans.items() if not self._two_word[t]}
        unknown = any(
            match.start() not in words
            for match in TOKEN.finditer(tidy.lower())
            if match.group() not in ENGLISH_STOP_WORDS
        )
        return read.add(phrase, spans, names, None if unknown else list(words.values()))

    def _elsewhere(self, read: _ReadPhrases, text: str, term: int) -> int:
        """A term the text does not hold: named (the number of its name) by what brought
        it into the query (an acronym for its long form's words, the long form written
        out for its acronym) or by a phrase holding one of its words (a pair formed
        across a comma), as part of that phrase."""
        sources = self._source_terms.get(term)
        if sources is None:
            sources = self._source_terms[term] = self._sources(term)
        for phrase in _phrases(text) if sources else ():
            parts = read.parts[read.number[phrase]]  # every phrase of the batch is read
            number = next((parts[t] for t in sources if t in parts), None)
            if number is not None:
                return number
        return read.name(self._terms[term])

    @staticmethod
    def _wording(phrase: str, start: int, end: int, *, fallback: str) -> tuple[Wording, Wording]:
        """How a match at ``phrase[start:end]`` is named when the paper holds the whole
        phrase, and when it holds only part: the phrase and (the words, the phrase) when
        the phrase is short, the matched words as written (both ways) when it is long."""
        lowered = phrase.lower()
        # The stars mark the wording in the sentence; the reader's own would break it.
        words = (phrase if len(lowered) == len(phrase) else lowered)[start:end]
        words = words.replace("*", "").strip() or fallback
        if len(phrase) > PHRASE_CHARS:
            return words, words
        whole = phrase.replace("*", "").strip() or fallback
        if words == whole:
            return whole, whole
        return whole, (words, whole)

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
        # Readers' wordings can be as many as readers: theirs are kept up to a bound.
        cache = self._worded if kind == INTEREST else self._cache
        reason = cache.get(key)
        if reason is None:
            reason = self._sentence(kind, detail)
            if top_trending:
                reason = f"{reason}; {self._trending[paper]}"
            if cache is self._worded and len(cache) >= PHRASES_KEPT:
                cache.clear()
            cache[key] = reason
        return reason

    def _sentence(self, kind: int, detail: object) -> str:
        if kind == INTEREST and isinstance(detail, tuple):
            words, phrase = detail
            return f"Matches *{words}*, part of your interest in *{phrase}*"
        if kind == INTEREST:
            return f"Matches your interest in *{detail}*"
        if kind == TOPIC:
            return f"Matches your topic *{detail}*"
        if kind == SEED:
            return f"Because you liked *{detail}*"
        if kind == CLICK:
            return f"Similar to *{detail}*, which you opened"
        if kind == MODEL:
            return "Close to the papers you opened before"
        return "Related to today's best matches for your interests"
