"""The dense backend's wiring, with a stand-in encoder (the real one is an optional extra)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from app.ranking import SubscriberProfile, rank_subscribers
from app.ranking.dense import DenseSpace
from app.ranking.edition import assemble_edition
from app.ranking.relevance import TextIndex, similarity
from tests.ranking.papers import EDITION, NOW

WORDS = ["speculative", "cache", "video", "robot", "protein", "table"]


class BagOfWords:
    """Counts a few words, on top of a large shared direction, as sentence encoders do:
    any two texts then have a cosine near 1 until the vectors are centred."""

    def __init__(self) -> None:
        self.passages: list[str] = []

    def _encode(self, texts: list[str]) -> NDArray[np.float32]:
        rows = [[text.lower().count(w) for w in WORDS] + [10.0] for text in texts]
        return np.array(rows, dtype=np.float32)

    def query(self, texts: list[str]) -> NDArray[np.float32]:
        return self._encode(texts)

    def passage(self, texts: list[str]) -> NDArray[np.float32]:
        self.passages += texts
        return self._encode(texts)


def test_the_dense_backend_ranks_by_the_encoder_it_is_given_papers_as_passages() -> None:
    encoder = BagOfWords()
    space = DenseSpace(encoder)
    index = TextIndex(EDITION)
    library = index.transform_papers(EDITION)
    edition = assemble_edition(
        list(EDITION),
        index=index,
        latent_space=space,
        library_papers=list(EDITION),
        library=library,
        library_gram=similarity(library, library),
        now=NOW,
    )
    # Every paper went through the encoder as a passage; interests go as queries.
    assert len(encoder.passages) == len(EDITION)
    # Centred: a robot paper and a protein paper are no longer alike.
    robot, protein = edition.latent_vectors[5], edition.latent_vectors[8]
    assert float(robot @ protein) < 0.5
    assert np.allclose(np.linalg.norm(edition.latent_vectors, axis=1), 1.0, atol=1e-5)
    (digest,) = rank_subscribers(edition, [SubscriberProfile(1, "speculative decoding", k=2)])
    assert {p.arxiv_id for p in digest.picks} == {"2509.00001", "2509.00002"}
