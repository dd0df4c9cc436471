"""Personal relevance: a TF-IDF index of papers and the subscribers' queries.

The index is fitted on a rolling corpus of recent papers (title + abstract + AI
keywords): word unigrams and bigrams, English stop words removed, sublinear tf.
Two refinements over plain TF-IDF, both cheap and standard in IR:

* **Plural folding** (Harman's "S" stemmer): "agents" and "agent", "diffusion
  models" and "diffusion model" become one feature. The folding is a sparse
  column-merge matrix applied to the counts, so it costs one sparse product.
* **Field weighting**: a paper vector is a weighted sum of its title, keyword and
  body vectors (each L2-normalised), so a word in the title counts more than the
  same word deep in the abstract.

Interest texts are counted by ``_FastCounter`` (same tokens and bigrams as the
fitted scikit-learn vectoriser, formed with array operations), so 100,000
subscribers are vectorised in well under a second. How a subscriber's parts
(interests, topics, seed and clicked papers) are combined is the ranker's
business; the latent (LSA) half of the interest score lives in ``latent``.
Optional pseudo-relevance feedback adds the mean similarity to each row's own
top-scoring papers (Rocchio with the top documents taken as relevant), computed
from the candidates' Gram matrix, so it also needs no per-pair loop.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfTransformer
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

from app.ranking.candidates import CandidatePaper

FloatArray = NDArray[np.float32]

TITLE_WEIGHT = 0.6
KEYWORDS_WEIGHT = 0.4
BODY_WEIGHT = 1.0
# How much more a matched phrase is worth than a matched word when naming a match.
PHRASE_BOOST = 2.5


def fold_plural(word: str) -> str:
    """Harman's S stemmer: fold English plurals, leave everything else alone."""
    if len(word) <= 3:
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss", "is")):
        return word[:-1]
    return word


# scikit-learn's default token pattern, so both counters agree on what a word is.
TOKEN = re.compile(r"(?u)\b\w\w+\b")
# The same tokens for ``findall``, a third faster: a greedy run of word characters
# can only start a match at the start of a run, so the word boundaries are implied.
_WORDS = re.compile(r"\w\w+")
_STOP = -2
_SPACES = re.compile(r"\s*")
_UNKNOWN = -1


class _WordIds(dict[str, int]):
    """Word -> column; a word we never saw is ``_UNKNOWN`` (lets ``map`` stay in C)."""

    def __missing__(self, word: str) -> int:
        return _UNKNOWN


class _FastCounter:
    """Counts the fitted unigrams and bigrams of many short texts at once.

    Gives the same counts as the fitted ``CountVectorizer`` (same tokens, stop
    words dropped before bigrams are formed) but forms bigrams with array
    operations instead of Python string joins: subscribers' interests are
    vectorised 100,000 at a time.
    """

    def __init__(self, vocabulary: dict[str, int]) -> None:
        self._n = len(vocabulary)
        self._word = _WordIds({w: _STOP for w in ENGLISH_STOP_WORDS})
        self._word.update((t, c) for t, c in vocabulary.items() if " " not in t)
        # Bigram (first word, second word) -> column, as sorted integer keys; the
        # lookups run in C (``map``), which matters for a 100,000-term vocabulary.
        bigrams = [(t, c) for t, c in vocabulary.items() if " " in t]
        pairs = [t.split(" ") for t, _ in bigrams]
        word_id = self._word.__getitem__
        keys = np.fromiter(map(word_id, map(itemgetter(0), pairs)), np.int64, len(pairs))
        keys *= self._n
        keys += np.fromiter(map(word_id, map(itemgetter(1), pairs)), np.int64, len(pairs))
        order = np.argsort(keys)
        self._bigram_keys = keys[order]
        self._bigram_columns = np.array([c for _, c in bigrams], dtype=np.int64)[order]

    def transform(
        self, texts: Sequence[str], fold: NDArray[np.int64] | None = None
    ) -> sp.csr_matrix:
        """Counts per text; with ``fold``, counted straight into folded columns."""
        tokens = [_WORDS.findall(text.lower()) for text in texts]
        lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
        ids = np.fromiter(
            map(self._word.__getitem__, chain.from_iterable(tokens)),
            dtype=np.int64,
            count=int(lengths.sum()),
        )
        docs = np.repeat(np.arange(len(texts)), lengths)
        kept = ids != _STOP
        ids, docs = ids[kept], docs[kept]
        known = ids >= 0
        rows = [docs[known]]
        columns = [ids[known]]
        if len(ids) > 1 and len(self._bigram_keys):
            pair = (docs[:-1] == docs[1:]) & known[:-1] & known[1:]
            keys = ids[:-1][pair] * self._n + ids[1:][pair]
            where = np.searchsorted(self._bigram_keys, keys)
            where = np.minimum(where, len(self._bigram_keys) - 1)
            found = self._bigram_keys[where] == keys
            rows.append(docs[:-1][pair][found])
            columns.append(self._bigram_columns[where[found]])
        row = np.concatenate(rows)
        column = np.concatenate(columns)
        width = self._n
        if fold is not None:
            column = fold[column]
            width = int(fold.max(initial=-1)) + 1
        # Count each (row, column) once, in row-major order: the CSR arrays themselves
        # (building them through scipy's COO conversion and sum_duplicates cost more).
        cells, counts = np.unique(row * width + column, return_counts=True)
        of_row = cells // width
        indptr = np.searchsorted(of_row, np.arange(len(texts) + 1))
        index_type = np.int32 if width <= np.iinfo(np.int32).max else np.int64
        return sp.csr_matrix(
            (
                counts.astype(np.float32),
                (cells - of_row * width).astype(index_type),
                indptr.astype(index_type),
            ),
            shape=(len(texts), width),
        )


def _phrase_spans(texts: Sequence[str], longest: int = 40) -> dict[str, str]:
    """For each bigram feature, its most common written form in ``texts``.

    The written form runs from the first word to the second, stop words and
    punctuation between them included ("text-to-speech" for "text speech").
    """
    seen: dict[str, Counter[str]] = {}
    for text in texts:
        lowered = text.lower()
        previous: re.Match[str] | None = None
        for match in TOKEN.finditer(lowered):
            if match.group() in ENGLISH_STOP_WORDS:
                continue
            if previous is not None and match.start() - previous.start() <= longest:
                span = lowered[previous.start() : match.end()]
                if not _SPACES.fullmatch(lowered[previous.end() : match.start()]):
                    key = f"{previous.group()} {match.group()}"
                    seen.setdefault(key, Counter())[" ".join(span.split())] += 1
            previous = match
    return {key: spans.most_common(1)[0][0] for key, spans in seen.items()}


def paper_fields(paper: CandidatePaper) -> tuple[str, str, str]:
    """The title, keyword and body texts a paper is indexed by."""
    body = paper.abstract
    if paper.ai_summary:
        body = f"{body} {paper.ai_summary}"
    return paper.title, " ; ".join(paper.ai_keywords), body


class TextIndex:
    """TF-IDF vectors for papers and free text, fitted on a corpus of papers.

    ``terms[j]`` is a readable surface form of feature ``j`` (the most common
    spelling before plural folding), used to explain matches.
    """

    def __init__(self, corpus: Sequence[CandidatePaper]) -> None:
        texts = [" ".join(paper_fields(paper)) for paper in corpus] or [""]
        self._counter = CountVectorizer(
            ngram_range=(1, 2), stop_words="english", dtype=np.float32, min_df=1
        )
        try:
            counts = self._counter.fit_transform(texts)
        except ValueError:  # an empty corpus has no vocabulary; index one placeholder
            counts = self._counter.fit_transform(["paperboy"])
        # The feature names in column order (what get_feature_names_out builds, faster).
        vocabulary = np.empty(len(self._counter.vocabulary_), dtype=object)
        vocabulary[list(self._counter.vocabulary_.values())] = list(self._counter.vocabulary_)
        self._fast = _FastCounter(self._counter.vocabulary_)
        # Fold each distinct word once; number the folded terms in order of first appearance.
        parts = [term.split(" ") for term in vocabulary.tolist()]
        words = {w: fold_plural(w) for w in set(chain.from_iterable(parts))}
        folded = [" ".join(map(words.__getitem__, p)) for p in parts]
        stem_number = {stem: n for n, stem in enumerate(dict.fromkeys(folded))}
        column = np.fromiter(map(stem_number.__getitem__, folded), np.int64, len(folded))
        n_raw = len(vocabulary)
        self._stem_of = column
        self._stem_number = stem_number
        self._stems = list(stem_number)
        self._fold: sp.csr_matrix = sp.csr_matrix(
            (np.ones(n_raw, dtype=np.float32), (np.arange(n_raw), column)),
            shape=(n_raw, len(stem_number)),
        )
        # Surface form of a stem: its spelling with the highest document frequency.
        document_frequency = np.asarray((counts > 0).sum(axis=0)).ravel()
        order = np.lexsort((-document_frequency, column))
        first = np.r_[True, column[order][1:] != column[order][:-1]]
        self.terms: list[str] = vocabulary[order[first]].tolist()
        self.phrase_boost: NDArray[np.float32] = np.array(
            [PHRASE_BOOST if " " in term else 1.0 for term in self.terms], dtype=np.float32
        )
        # Two-word features lost their stop words ("text speech"): name them as
        # titles and keywords write them ("text-to-speech"), for readable reasons.
        # (Titles and keywords only: they hold the names of things, and are short.)
        spans = _phrase_spans([" ; ".join(paper_fields(paper)[:2]) for paper in corpus])
        self.terms = [spans.get(term, term) if " " in term else term for term in self.terms]
        self._tfidf = TfidfTransformer(sublinear_tf=True)
        self._tfidf.fit(counts @ self._fold)

    @property
    def n_features(self) -> int:
        return int(self._fold.shape[1])

    def words_of(self, term: int) -> list[int]:
        """The one-word terms a two-word term is made of (none for a word)."""
        words = self._stems[term].split(" ")
        if len(words) == 1:
            return []
        return [n for n in map(self._stem_number.get, words) if n is not None]

    def written_spans(self, text: str) -> dict[int, tuple[int, int]]:
        """The terms (feature columns) ``text`` holds, each with where it is written.

        A two-word term spans both words and what stands between them ("chain of
        thought" for the term "chain thought"); the first occurrence counts. Offsets
        are into ``text.lower()``, which is ``text``'s length for all but a few scripts.
        """
        vocabulary = self._counter.vocabulary_
        spans: dict[int, tuple[int, int]] = {}
        previous: re.Match[str] | None = None
        for match in TOKEN.finditer(text.lower()):
            word = match.group()
            if word in ENGLISH_STOP_WORDS:
                continue
            column = vocabulary.get(word)
            if column is not None:
                spans.setdefault(int(self._stem_of[column]), match.span())
            if previous is not None:
                column = vocabulary.get(f"{previous.group()} {word}")
                if column is not None:
                    spans.setdefault(int(self._stem_of[column]), (previous.start(), match.end()))
            previous = match
        return spans

    def count_texts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Term counts (plural-folded features) of free texts; unknown words dropped."""
        return self._fast.transform(texts, self._stem_of)

    def weigh_counts(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """L2-normalised TF-IDF rows from ``count_texts`` rows.

        The fitted ``TfidfTransformer.transform``'s own arithmetic (sublinear tf, idf,
        row norm), without its per-call input validation: that validation is most of
        the cost for the few rows a paper page or a search weighs, and the result is
        the same to the bit (tests/ranking/test_relevance.py holds it to the transformer).
        """
        matrix = sp.csr_matrix(counts, dtype=np.float32, copy=True)
        np.log(matrix.data, out=matrix.data)
        matrix.data += 1.0
        matrix.data *= self._tfidf.idf_[matrix.indices]
        inplace_csr_row_normalize_l2(matrix)
        return matrix

    def transform_texts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """L2-normalised TF-IDF rows for free texts (empty rows for unknown words)."""
        return self.weigh_counts(self.count_texts(texts))

    def field_counts(self, papers: Sequence[CandidatePaper]) -> list[sp.csr_matrix]:
        """Term counts of the papers' title, keyword and body fields (one matrix each)."""
        if not papers:
            return [sp.csr_matrix((0, self.n_features), dtype=np.float32)] * 3
        # One count over every field's texts, then a block of rows per field: the
        # counter's fixed cost is most of it for the few papers of a page or a search.
        fields = list(zip(*(paper_fields(p) for p in papers), strict=True))
        counts = self.count_texts([text for texts in fields for text in texts])
        n = len(papers)
        return [counts[k * n : (k + 1) * n] for k in range(len(fields))]

    def transform_papers(
        self, papers: Sequence[CandidatePaper], fields: Sequence[sp.csr_matrix] | None = None
    ) -> sp.csr_matrix:
        """L2-normalised, field-weighted TF-IDF rows for papers (``fields``: their
        ``field_counts``, if the caller has them)."""
        if not papers:
            return sp.csr_matrix((0, self.n_features), dtype=np.float32)
        title, keywords, body = fields or self.field_counts(papers)
        combined = (
            TITLE_WEIGHT * self.weigh_counts(title)
            + KEYWORDS_WEIGHT * self.weigh_counts(keywords)
            + BODY_WEIGHT * self.weigh_counts(body)
        )
        rows = sp.csr_matrix(combined, dtype=np.float32, copy=True)
        inplace_csr_row_normalize_l2(rows)
        return rows


def similarity(queries: sp.csr_matrix, papers: sp.csr_matrix) -> FloatArray:
    """Cosine similarity of every query row with every paper row (dense result)."""
    product = queries @ papers.T
    return np.asarray(product.toarray(), dtype=np.float32)


@dataclass(frozen=True)
class InterestTerms:
    """A batch's interest rows and, dense, the paper weights of the terms they use.

    A batch of interests uses a few thousand of the index's tens of thousands of
    terms, so their rows of the (terms x papers) matrix fit a small dense array:
    the cosines are then one sparse x dense product (half the time of a sparse x
    sparse product made dense, with the same sums in the same order), and the
    reasons read matched weights from the same array.
    """

    queries: sp.csr_matrix
    # The same rows with their columns numbered within the terms used (rows of ``weights``).
    local: sp.csr_matrix
    weights: FloatArray

    @classmethod
    def of(cls, queries: sp.csr_matrix, papers_by_term: sp.csr_matrix) -> InterestTerms:
        # Terms numbered in column order, as np.unique would, without sorting the entries.
        present = np.zeros(queries.shape[1], dtype=np.bool_)
        present[queries.indices] = True
        used = np.flatnonzero(present)
        number = np.cumsum(present, dtype=queries.indices.dtype) - 1
        compact = sp.csr_matrix(
            (queries.data, number[queries.indices], queries.indptr),
            shape=(queries.shape[0], max(len(used), 1)),
        )
        # The used terms' rows, scattered straight into the dense array.
        weights = np.zeros((max(len(used), 1), papers_by_term.shape[1]), dtype=np.float32)
        starts = papers_by_term.indptr[used].astype(np.int64)
        lengths = papers_by_term.indptr[used + 1] - starts
        row = np.repeat(np.arange(len(used)), lengths)
        position = np.arange(len(row)) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        weights[row, papers_by_term.indices[position]] = papers_by_term.data[position]
        return cls(queries, compact, weights)

    def cosines(self) -> FloatArray:
        """Cosine of each interest row with every paper."""
        result: FloatArray = np.asarray(self.local @ self.weights, dtype=np.float32)
        return result


def pseudo_relevance_feedback(
    scores: FloatArray, gram: FloatArray, *, top: int, weight: float
) -> FloatArray:
    """Rocchio with each row's ``top`` best papers taken as relevant.

    Adds ``weight`` times the mean cosine between a paper and those top papers;
    equivalent to moving the query towards their centroid, but computed from the
    candidates' Gram matrix instead of re-running the sparse product.
    """
    n_papers = scores.shape[1]
    top = min(top, n_papers)
    if top == 0 or weight == 0.0:
        return scores
    best = np.argpartition(-scores, top - 1, axis=1)[:, :top]
    centroid_similarity = np.zeros_like(scores)
    for column in range(top):
        centroid_similarity += gram[best[:, column]]
    expanded: FloatArray = scores + (weight / top) * centroid_similarity
    return expanded
