"""Ranking: trending score, personal relevance, feedback, diversity and reasons (pure code).

The one entry point is ``app.ranking.ranker``: ``prepare_edition`` once per
edition, then ``rank_subscribers`` for any batch of subscribers.
"""

from app.ranking.candidates import (
    CandidatePaper,
    Digest,
    Pick,
    SubscriberProfile,
    as_of,
    candidate_from,
    reader_profile,
)
from app.ranking.ranker import (
    PreparedEdition,
    RankingParams,
    prepare_edition,
    rank_edition,
    rank_subscribers,
)

__all__ = [
    "CandidatePaper",
    "Digest",
    "Pick",
    "PreparedEdition",
    "RankingParams",
    "SubscriberProfile",
    "as_of",
    "candidate_from",
    "prepare_edition",
    "rank_edition",
    "rank_subscribers",
    "reader_profile",
]
