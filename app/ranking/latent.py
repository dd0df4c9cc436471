"""Latent semantic matching (LSA): the dense half of the lexical + dense hybrid.

TF-IDF only matches the words a subscriber typed. Latent semantic analysis
(Deerwester et al., 1990) factorises the corpus's TF-IDF matrix with a truncated
SVD; papers and queries projected onto its top ``DIMENSIONS`` directions are
similar when they use words that co-occur across the corpus ("GUI agent" and
"computer-use", "TTS" and "speech synthesis"), even without a shared word.

It needs no model download, is fitted on the same rolling corpus as the TF-IDF
index (so it follows the field's vocabulary as it drifts), and scores a batch
of subscribers with one small dense product (subscribers x DIMENSIONS x papers).

The hybrid: per subscriber, the latent similarities are rescaled so their best
paper equals the best TF-IDF cosine, then mixed in with weight ``share``::

    interest = (1 - share) * cosine + share * latent * max(cosine) / max(latent)

The rescaling keeps the score on the cosine's scale (so the "nothing matched"
threshold and the blend with topics, seeds and trending keep their meaning), and
makes a query with no word in the corpus score zero, as it should.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize

FloatArray = NDArray[np.float32]
DIMENSIONS = 100
GRAM_LIMIT = 4000
LATENT_FLOOR = 0.1


class SemanticSpace(Protocol):
    """Maps texts (or their TF-IDF rows) to unit vectors whose dot product is similarity.

    ``embed`` is for what a reader writes (interests, topics, a search), ``embed_papers``
    for papers' "title. abstract" texts (a sentence encoder treats the two apart).
    """

    def embed(self, texts: Sequence[str], tfidf: sp.csr_matrix) -> FloatArray: ...
    def embed_papers(self, texts: Sequence[str], tfidf: sp.csr_matrix) -> FloatArray: ...


class LatentSpace:
    """A truncated SVD of a corpus's TF-IDF paper vectors."""

    def __init__(
        self,
        corpus: sp.csr_matrix,
        dimensions: int = DIMENSIONS,
        *,
        gram: FloatArray | None = None,
    ) -> None:
        """``gram``, if the caller has it, is ``corpus @ corpus.T`` (saves recomputing it)."""
        rank = min(dimensions, corpus.shape[0] - 1, corpus.shape[1] - 1)
        self._components: FloatArray | None = None
        if rank >= 2:
            self._components = _right_singular_vectors(corpus, rank, gram)

    def embed(self, texts: Sequence[str], tfidf: sp.csr_matrix) -> FloatArray:
        """Unit-length latent vectors (LSA works from the TF-IDF rows; texts unused)."""
        del texts
        return self.project(tfidf)

    def embed_papers(self, texts: Sequence[str], tfidf: sp.csr_matrix) -> FloatArray:
        """The same as ``embed``: LSA treats papers and queries alike."""
        return self.embed(texts, tfidf)

    def project(self, rows: sp.csr_matrix) -> FloatArray:
        """Unit-length latent vectors of TF-IDF rows (zero rows stay zero)."""
        if self._components is None:
            return np.zeros((rows.shape[0], 1), dtype=np.float32)
        projected = np.asarray(rows @ self._components, dtype=np.float32)
        result: FloatArray = normalize(projected).astype(np.float32)
        return result


def _right_singular_vectors(
    corpus: sp.csr_matrix, rank: int, gram: FloatArray | None
) -> FloatArray:
    """The corpus's top ``rank`` right singular vectors, as columns (terms x rank).

    A rolling corpus has far fewer papers than terms, so the exact way is the
    small side: eigenvectors U of the papers' Gram matrix A Aᵀ give the term-side
    vectors as Aᵀ U / sigma (milliseconds for a few thousand papers, where a
    randomized SVD works on the 100,000-term side). Past ``GRAM_LIMIT`` papers the
    dense eigendecomposition gets costly and the randomized SVD takes over.
    """
    if corpus.shape[0] > GRAM_LIMIT:
        svd = TruncatedSVD(rank, algorithm="randomized", random_state=0)
        svd.fit(corpus)
        return np.asarray(svd.components_.T, dtype=np.float32)
    if gram is None:
        gram = np.asarray((corpus @ corpus.T).toarray(), dtype=np.float32)
    n = gram.shape[0]
    eigenvalues, eigenvectors = scipy.linalg.eigh(
        gram.astype(np.float64), subset_by_index=[n - rank, n - 1]
    )
    top = np.argsort(-eigenvalues)
    sigma = np.sqrt(np.maximum(eigenvalues[top], 1e-12))
    components: FloatArray = (
        np.asarray(corpus.T @ eigenvectors[:, top], dtype=np.float64) / sigma
    ).astype(np.float32)
    return components


def hybrid(cosine: FloatArray, latent: FloatArray, share: float) -> FloatArray:
    """Mix latent similarities into TF-IDF cosines, rescaled per row (see module doc).

    Works in place on both arrays (they are a batch's temporaries) and returns
    ``cosine``, now holding the mix.
    """
    if share == 0.0:
        return cosine
    np.maximum(latent, 0.0, out=latent)
    # A row whose best latent similarity is tiny has no latent match: rescaling it up
    # to the best cosine would turn rounding noise into a match (LATENT_FLOOR).
    scale = cosine.max(axis=1, keepdims=True) / np.maximum(
        latent.max(axis=1, keepdims=True), LATENT_FLOOR
    )
    latent *= share * scale
    cosine *= 1.0 - share
    cosine += latent
    return cosine
