"""BM25's fit computes idf only for the terms present, and gives the plain formula's
weights to the bit (``Bm25.fit`` against the textbook arithmetic over every term)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from app.ranking.lexical import FIELD_WEIGHTS, K1, B, Bm25


def plain_fit(fields: list[sp.csr_matrix], n_candidates: int) -> tuple[np.ndarray, np.ndarray]:
    counts = sp.csr_matrix(sum(w * f for w, f in zip(FIELD_WEIGHTS, fields, strict=True)))
    n_docs = max(counts.shape[0], 1)
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
    lengths = np.asarray(counts.sum(axis=1)).ravel()
    mean_length = float(lengths.sum()) / max(len(lengths), 1)
    norm = K1 * (1 - B + B * lengths / max(mean_length, 1e-9))
    dense = counts[:n_candidates].toarray()
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = np.where(
            dense > 0, idf[None, :] * dense * (K1 + 1) / (dense + norm[:n_candidates, None]), 0.0
        )
    return idf.astype(np.float32), weights.astype(np.float32).T


matrices = st.integers(1, 12).flatmap(
    lambda papers: st.tuples(
        st.just(papers),
        st.lists(
            st.lists(st.integers(0, 3), min_size=papers * 40, max_size=papers * 40),
            min_size=3,
            max_size=3,
        ),
    )
)


@settings(max_examples=150, deadline=None)
@given(matrices, st.data())
def test_fit_is_the_plain_formula_to_the_bit(
    shape: tuple[int, list[list[int]]], data: st.DataObject
) -> None:
    papers, cells = shape
    fields = [sp.csr_matrix(np.array(c, dtype=np.float32).reshape(papers, 40)) for c in cells]
    n_candidates = data.draw(st.integers(1, papers))
    fitted = Bm25.fit(fields, n_candidates)
    idf, weights = plain_fit(fields, n_candidates)
    assert np.array_equal(fitted.idf, idf)
    assert np.array_equal(fitted.by_term.toarray(), weights)
