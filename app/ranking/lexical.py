"""BM25 over the interest text: the lexical half of the interest score.

TF-IDF cosine lets a long interest text dilute its one rare, specific term ("GRPO",
"humanoid") among common ones ("models", "learning"), and rewards a paper for
repeating a common word. Okapi BM25 (Robertson & Zaragoza, 2009) fixes both: each
query term adds its idf, so rare terms dominate, and a term's count saturates
(``k1``), so the fifth "model" adds little. Paper lengths are normalised (``b``).

Fields as in BM25F: a paper's term frequency is a weighted sum of its title,
AI-keyword and body counts, so a term in the title counts more. Terms are the text
index's own features: plural-folded words and two-word phrases, so "text-to-speech"
also matches as the phrase "text speech", on top of its two words.

A query is the set of its terms (a subscriber does not mean "video" twice as much
by writing it twice), scaled so that a paper in which every query term saturated
would score 1: scores sit in [0, 1), on the scale of the cosine they replace, and
the "nothing matched" threshold keeps its meaning. Scoring a batch is the same one
sparse x dense product as before (``relevance.InterestTerms``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

FloatArray = NDArray[np.float32]
K1 = 1.2
B = 0.75
# Title, AI keywords, body (abstract + AI summary).
FIELD_WEIGHTS = (2.0, 1.0, 1.0)


@dataclass(frozen=True)
class Bm25:
    """BM25 weights of every term in every candidate, and the terms' idf."""

    # terms x candidates: the right operand of the batch product.
    by_term: sp.csr_matrix
    idf: FloatArray

    @classmethod
    def fit(cls, fields: Sequence[sp.csr_matrix], n_candidates: int) -> Bm25:
        """From per-field term counts of the library (candidates first); statistics
        (document frequency, mean length) are the library's, weights the candidates'."""
        counts = sp.csr_matrix(sum(w * f for w, f in zip(FIELD_WEIGHTS, fields, strict=True)))
        n_docs = max(counts.shape[0], 1)
        # Most of the index's terms are in none of a small library: they share one idf,
        # and only the terms present are computed (a search's 60 papers use ~3% of them).
        present, document_frequency = np.unique(counts.indices, return_counts=True)
        frequencies = np.concatenate([[0], document_frequency])  # 0: a term in no paper
        of_present = np.log1p((n_docs - frequencies + 0.5) / (frequencies + 0.5))
        idf = np.full(counts.shape[1], of_present[0])
        idf[present] = of_present[1:]
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        mean_length = float(lengths.sum()) / max(len(lengths), 1)
        norm = K1 * (1 - B + B * lengths / max(mean_length, 1e-9))
        candidates = sp.csr_matrix(counts[:n_candidates])
        tf = candidates.data
        rows = np.repeat(np.arange(n_candidates), np.diff(candidates.indptr))
        candidates.data = (idf[candidates.indices] * tf * (K1 + 1) / (tf + norm[rows])).astype(
            np.float32
        )
        return cls(sp.csr_matrix(candidates.T), idf.astype(np.float32))

    def queries(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """Query rows from term counts: each term present once, scaled to score at most 1.

        A count below 1 (a term added by query expansion) keeps its fraction.
        """
        rows = sp.csr_matrix(counts, dtype=np.float32, copy=True)
        np.minimum(rows.data, 1.0, out=rows.data)
        best = np.asarray(rows @ (self.idf * (K1 + 1))).ravel()
        scale = np.where(best > 0, 1.0 / np.maximum(best, 1e-12), 0.0).astype(np.float32)
        scaled: sp.csr_matrix = sp.csr_matrix(sp.diags(scale) @ rows)
        return scaled
