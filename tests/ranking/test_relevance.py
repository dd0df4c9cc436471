"""The text index's own TF-IDF arithmetic gives scikit-learn's result to the bit.

``TextIndex.weigh_counts`` and ``transform_papers`` skip scikit-learn's per-call
input validation (most of a paper page's cost for a handful of rows); these tests
hold them to the plain ``TfidfTransformer.transform`` and ``normalize``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import normalize

from app.ranking.relevance import (
    BODY_WEIGHT,
    KEYWORDS_WEIGHT,
    TITLE_WEIGHT,
    TextIndex,
    paper_fields,
)
from tests.ranking.papers import EDITION, paper

INDEX = TextIndex(EDITION)
WORDS = [*INDEX.terms[:300], "unknownword", "the", "of", "speculative decoding", ""]


def plain_weights(counts: sp.csr_matrix) -> sp.csr_matrix:
    return sp.csr_matrix(INDEX._tfidf.transform(counts).astype(np.float32))


def same_bits(a: sp.csr_matrix, b: sp.csr_matrix) -> bool:
    return a.dtype == b.dtype and np.array_equal(a.toarray(), b.toarray())


texts = st.lists(st.lists(st.sampled_from(WORDS), max_size=60).map(" ".join), max_size=12)


@settings(max_examples=200, deadline=None)
@given(texts.filter(bool))
def test_weighing_counts_is_the_fitted_transformer_to_the_bit(batch: list[str]) -> None:
    counts = INDEX.count_texts(batch)
    assert same_bits(INDEX.weigh_counts(counts), plain_weights(counts))


@settings(max_examples=200, deadline=None)
@given(texts)
def test_counting_texts_is_the_fitted_vectoriser_folded_to_the_bit(batch: list[str]) -> None:
    counts = INDEX.count_texts(batch)
    plain = sp.csr_matrix(INDEX._counter.transform(batch) @ INDEX._fold, dtype=np.float32)
    assert counts.has_sorted_indices
    assert counts.shape == plain.shape
    assert same_bits(counts, plain)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(texts, texts), min_size=1, max_size=8))
def test_field_counts_are_each_fields_own_counts(fields: list[tuple[list[str], list[str]]]) -> None:
    papers = [
        paper(f"2509.9{n:04d}", " ".join(title), " ".join(body), keywords=tuple(title[:3]))
        for n, (title, body) in enumerate(fields)
    ]
    per_field = zip(*(paper_fields(p) for p in papers), strict=True)
    for counted, texts_of_field in zip(INDEX.field_counts(papers), per_field, strict=True):
        assert same_bits(counted, INDEX.count_texts(list(texts_of_field)))


def test_no_rows_weigh_to_no_rows() -> None:
    # (scikit-learn refuses an empty batch; the index answers it.)
    assert INDEX.weigh_counts(INDEX.count_texts([])).shape == (0, INDEX.n_features)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(texts, texts), min_size=1, max_size=8))
def test_paper_rows_are_the_plain_field_weighted_sum_normalised(
    fields: list[tuple[list[str], list[str]]],
) -> None:
    papers = [
        paper(f"2509.9{n:04d}", " ".join(title), " ".join(body), keywords=tuple(title[:3]))
        for n, (title, body) in enumerate(fields)
    ]
    title, keywords, body = INDEX.field_counts(papers)
    combined = (
        TITLE_WEIGHT * plain_weights(title)
        + KEYWORDS_WEIGHT * plain_weights(keywords)
        + BODY_WEIGHT * plain_weights(body)
    )
    plain = sp.csr_matrix(normalize(combined).astype(np.float32))
    assert same_bits(INDEX.transform_papers(papers), plain)
