from __future__ import annotations

import numpy as np

from app.ranking.diversity import NOT_PICKED, exclude_already_sent, mmr, shortlist


def test_mmr_prefers_a_different_paper_over_a_near_duplicate_of_the_first_pick() -> None:
    # Papers 0 and 1 are near-duplicates; paper 2 is different but scores a bit lower.
    gram = np.array([[1.0, 0.95, 0.1], [0.95, 1.0, 0.1], [0.1, 0.1, 1.0]], dtype=np.float32)
    columns = np.array([[0, 1, 2]])
    scores = np.array([[1.0, 0.9, 0.8]], dtype=np.float32)
    assert mmr(columns, scores, gram, k=3, lambda_=0.7).tolist() == [[0, 2, 1]]
    # With lambda = 1 MMR is plain ranking by score.
    assert mmr(columns, scores, gram, k=3, lambda_=1.0).tolist() == [[0, 1, 2]]


def test_mmr_pads_when_fewer_papers_are_allowed_than_asked() -> None:
    gram = np.eye(3, dtype=np.float32)
    scores = np.array([[1.0, -np.inf, 0.5]], dtype=np.float32)
    picked = mmr(np.array([[0, 1, 2]]), scores, gram, k=3, lambda_=0.8)
    assert picked.tolist() == [[0, 2, NOT_PICKED]]


def test_already_sent_papers_become_unpickable() -> None:
    scores = np.ones((2, 4), dtype=np.float32)
    exclude_already_sent(scores, [[1, 3], []])
    assert np.isinf(scores[0, [1, 3]]).all()
    assert np.isfinite(scores[1]).all()


def test_shortlist_returns_each_rows_best_columns_best_first() -> None:
    scores = np.array([[0.1, 0.9, 0.5, 0.7], [0.4, 0.3, 0.2, 0.1]], dtype=np.float32)
    assert shortlist(scores, 2).tolist() == [[1, 3], [0, 1]]
