"""Acronyms and their long forms, learned from the corpus, so either finds the other.

Papers define their acronyms once ("Group Relative Policy Optimization (GRPO)",
"text-to-speech (TTS)") and then use the short form; readers write whichever they
know. The corpus's own definitions are found with the usual heuristic (Schwartz &
Hearst, 2003, simplified): a parenthesised word of two or more capitals whose
letters are the initials of the words just before it, with or without their stop
words. No hand-written list: the vocabulary follows the field as it drifts.

``expand`` works on a batch's term counts: a query with the acronym gets the long
form's terms, and a query with every word pair of the long form gets the acronym.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_DEFINED = re.compile(r"\(([A-Z][A-Za-z]*[A-Z][A-Za-z]*?)s?\)")
_WORD = re.compile(r"[A-Za-z0-9]+")
MAX_EXTRA_WORDS = 3


class Counts(Protocol):
    """What ``Acronyms`` needs of the text index: term counts of free texts."""

    def count_texts(self, texts: Sequence[str]) -> sp.csr_matrix: ...


def defined_acronyms(texts: Sequence[str]) -> dict[str, Counter[str]]:
    """Acronym (lower case) -> how often each long form (lower case) defines it."""
    seen: dict[str, Counter[str]] = {}
    for text in texts:
        for match in _DEFINED.finditer(text):
            acronym = match.group(1)
            letters = [c.lower() for c in acronym if c.isupper()]
            before = _WORD.findall(text[max(0, match.start() - 200) : match.start()])
            long_form = _long_form(before, letters)
            if long_form:
                seen.setdefault(acronym.lower(), Counter())[long_form] += 1
    return seen


def _long_form(words: list[str], letters: list[str]) -> str | None:
    for size in range(len(letters), len(letters) + MAX_EXTRA_WORDS + 1):
        window = words[-size:]
        if len(window) < size:
            return None
        content = [w for w in window if w.lower() not in ENGLISH_STOP_WORDS]
        for kept in (window, content):
            if [w[0].lower() for w in kept] == letters and window[0] in kept:
                return " ".join(window).lower()
    return None


class Acronyms:
    """Query expansion between a corpus's acronyms and their long forms."""

    def __init__(self, index: Counts, texts: Sequence[str]) -> None:
        definitions = defined_acronyms(texts)
        pairs = sorted((a, form) for a, forms in definitions.items() for form in forms)
        # An acronym stands for its long form only when one form dominates ("TTS" is
        # text-to-speech in one paper, test-time scaling in the next): every long form
        # still finds its acronym.
        dominant = np.array(
            [definitions[a][form] * 3 >= 2 * definitions[a].total() for a, form in pairs]
        )
        short = index.count_texts([acronym for acronym, _ in pairs])
        long = index.count_texts([long_form for _, long_form in pairs])
        # Keep pairs whose acronym is one known term and whose long form has known terms.
        keep = np.flatnonzero((np.diff(short.indptr) == 1) & (np.diff(long.indptr) > 0))
        short, long, dominant = short[keep], long[keep], dominant[keep].astype(np.float32)
        n_terms = short.shape[1]
        acronym_term = short.indices
        # acronym term -> the dominant long form's terms.
        self._to_long = sp.csr_matrix(
            (dominant, (acronym_term, np.arange(len(keep)))), shape=(n_terms, len(keep))
        ) @ sp.csr_matrix((long > 0).astype(np.float32))
        # A query holds a long form when it has all of its terms.
        self._long_terms = sp.csr_matrix((long > 0).astype(np.float32).T)
        self._needed = np.asarray(self._long_terms.sum(axis=0)).ravel()
        self._acronym_of = sp.csr_matrix(
            (np.ones(len(keep), dtype=np.float32), (np.arange(len(keep)), acronym_term)),
            shape=(len(keep), n_terms),
        )
        self.pairs = [pairs[i] for i in keep.tolist()]
        # term -> the terms that bring it into a query: the acronyms whose long form
        # holds it, and for an acronym, its long forms' terms (``partners``).
        self._partners = sp.csr_matrix(
            self._to_long.T + self._acronym_of.T @ self._long_terms.T, dtype=np.float32
        )

    def partners(self, term: int) -> list[int]:
        """The terms whose presence in a query adds ``term`` to it (``expand``)."""
        if term >= self._partners.shape[0]:
            return []
        start, end = self._partners.indptr[term], self._partners.indptr[term + 1]
        return [int(t) for t in self._partners.indices[start:end]]

    def expand(self, counts: sp.csr_matrix, weight: float) -> sp.csr_matrix:
        """``counts`` plus the terms of acronyms' long forms (each at ``weight``) and the
        acronyms of long forms written out in full (at 1: one term for the whole phrase).

        A long form's words weigh less than typed ones (``weight`` < 1, a typed term
        counts at least 1): they widen the query, the reader's own words lead it.
        """
        if not self.pairs or counts.shape[0] == 0:
            return counts
        present = sp.csr_matrix(counts > 0, dtype=np.float32)
        held = sp.csr_matrix(present @ self._long_terms)
        held.data = (held.data >= self._needed[held.indices]).astype(np.float32)
        # The acronym stands for the whole long form: it joins at full weight.
        added = weight * (present @ self._to_long) + held @ self._acronym_of
        added = sp.csr_matrix(added)
        added.data = np.minimum(added.data, 1.0)
        extra = sp.csr_matrix(added - added.multiply(present))
        extra.eliminate_zeros()
        return sp.csr_matrix(counts + extra)
