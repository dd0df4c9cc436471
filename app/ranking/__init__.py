"""Ranking: trending score, personal relevance, feedback, diversity and reasons (pure code).

The one entry point is ``app.ranking.ranker``: ``prepare_edition`` once per
edition, then ``rank_subscribers`` for any batch of subscribers.
"""

from app.ranking.candidates import (
    CandidatePaper,
    Digest,
    Pick,
    SubscriberProfile,
    candidate_from_parsed,
)
from app.ranking.ranker import (
    PreparedEdition,
    RankingParams,
    prepare_edition,
    rank_edition,
    rank_subscribers,
)
from app.ranking.topics import TOPICS, Topic

__all__ = [
    "TOPICS",
    "CandidatePaper",
    "Digest",
    "Pick",
    "PreparedEdition",
    "RankingParams",
    "SubscriberProfile",
    "Topic",
    "candidate_from_parsed",
    "prepare_edition",
    "rank_edition",
    "rank_subscribers",
]
