from __future__ import annotations

import numpy as np

from app.ranking.edition import prepare_edition
from app.ranking.feedback import click_model_scores
from tests.ranking.papers import EDITION, NOW

VIDEO = [3, 4]  # rows of the two video papers
INFERENCE = [0, 1, 2]


def test_clicked_topics_score_higher_than_skipped_ones() -> None:
    edition = prepare_edition(EDITION, now=NOW)
    (scores,) = click_model_scores(
        edition.library, edition.library_similarity, [VIDEO * 3], [INFERENCE]
    )
    assert scores.min() >= 0.0
    assert scores.max() == 1.0
    assert min(scores[VIDEO]) > max(scores[INFERENCE])


def test_precomputed_library_gram_gives_the_same_model() -> None:
    edition = prepare_edition(EDITION, now=NOW)
    assert edition.library_gram is not None
    args = (edition.library, edition.library_similarity, [VIDEO, [0, 5, 6]], [INFERENCE, [7]])
    with_gram = click_model_scores(*args, library_gram=edition.library_gram)
    without = click_model_scores(*args)
    np.testing.assert_allclose(with_gram, without, atol=1e-5)
