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
the phrase of their interests it came from, as they wrote it ("faster LLM
inference", where the index's best term was "faster"; "LLM agents", not "llm
agent"), since a lone common word reads as a weak reason for a pick the whole
phrase chose. A phrase longer than ``PHRASE_CHARS`` (a sentence) is named by the
matched words alone, as written. A term that came from an acronym is named by the
phrase that holds the acronym (or its long form); one found nowhere in the text
keeps the papers' spelling.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from app.ranking.relevance import InterestTerms

TITLE_CHARS = 70
# A match is named as the whole phrase of the interests it is in when the phrase is at
# most this long (longer ones are sentences: the matched words are named alone).
PHRASE_CHARS = 48
# Phrases kept read per edition (then all forgotten, and read again as they come).
PHRASES_KEPT = 1 << 17


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
        self.spans: list[dict[int, tuple[int, int]]] = []
        self.names: list[str] = []
        self._name_number: dict[str, int] = {}
        self._indptr = [0]
        self._terms: list[int] = []
        self._named: list[int] = []
        self._arrays: tuple[NDArray[np.int64], ...] | None = None

    def name(self, wording: str) -> int:
        number = self._name_number.get(wording)
        if number is None:
            number = self._name_number[wording] = len(self.names)
            self.names.append(wording)
        return number

    def add(self, phrase: str, spans: dict[int, tuple[int, int]], names: list[str]) -> int:
        number = self.number[phrase] = len(self.spans)
        self.spans.append(spans)
        self._terms.extend(spans)
        self._named.extend(map(self.name, names))
        self._indptr.append(len(self._terms))
        self._arrays = None
        return number

    def entries(
        self, phrases: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """The terms of ``phrases``, their names' numbers and which phrase (position in
        ``phrases``) each is of."""
        if self._arrays is None:
            self._arrays = tuple(
                np.array(x, dtype=np.int64) for x in (self._indptr, self._terms, self._named)
            )
        indptr, terms, named = self._arrays
        positions, of = entries_of_rows(indptr, phrases)
        return terms[positions], named[positions], of


class ReasonWriter:
    """Builds (and caches) reason sentences for one edition."""

    def __init__(
        self,
        terms: list[str],
        trending: list[str],
        spans: Spans,
        sources: Callable[[int], list[int]],
    ) -> None:
        self._terms = terms
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
        self, texts: Sequence[str], rows: NDArray[np.int64], terms: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], list[str]]:
        """For each pick (its row in ``texts``, the interest texts, and its matched term):
        how the reader's words name the match, as a number into the list returned.

        The first phrase that holds the term names it. Per batch, the rows' phrases
        are gathered end to end and every pick is looked up among them at once.
        """
        with self._lock:
            if len(self._read.spans) >= PHRASES_KEPT:
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
            held, named, of = read.entries(np.array(numbers, dtype=np.int64))
            owner = np.repeat(owners, np.fromiter(map(len, split), np.int64, len(split)))[of]
            width = max(len(self._terms), 1)
            # The first phrase's entry of each (row, term): np.unique gives first indices.
            keys, first = np.unique(owner * width + held, return_index=True)
            wanted = rows * width + terms
            out = np.full(len(rows), -1, dtype=np.int64)
            if len(keys):
                at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
                found = keys[at] == wanted
                out[found] = named[first[at[found]]]
            for n in np.flatnonzero(out < 0).tolist():
                out[n] = read.name(self._elsewhere(read, texts[int(rows[n])], int(terms[n])))
            return out, read.names

    def _read_phrase(self, read: _ReadPhrases, phrase: str) -> int:
        tidy = " ".join(phrase.split())
        spans = self._spans(tidy)
        names = [self._named(tidy, *span) or self._terms[t] for t, span in spans.items()]
        return read.add(phrase, spans, names)

    def _elsewhere(self, read: _ReadPhrases, text: str, term: int) -> str:
        """A term the text does not hold: named by what brought it into the query (an
        acronym for its long form's words, the long form written out for its acronym)
        or by a phrase holding one of its words (a pair formed across a comma)."""
        sources = self._source_terms.get(term)
        if sources is None:
            sources = self._source_terms[term] = self._sources(term)
        if sources:
            for phrase in _phrases(text):
                number = read.number.get(phrase)
                spans = read.spans[number] if number is not None else {}
                span = next((spans[t] for t in sources if t in spans), None)
                if span is not None:
                    return self._named(" ".join(phrase.split()), *span) or self._terms[term]
        return self._terms[term]

    @staticmethod
    def _named(phrase: str, start: int, end: int) -> str:
        """The whole phrase when it is short, else the matched words as written."""
        if len(phrase) <= PHRASE_CHARS:
            chosen = phrase
        else:
            lowered = phrase.lower()
            chosen = (phrase if len(lowered) == len(phrase) else lowered)[start:end]
        # The stars mark the wording in the sentence; the reader's own would break it.
        return chosen.replace("*", "").strip()

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
