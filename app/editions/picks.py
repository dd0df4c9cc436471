"""Who gets which papers: the one seam between the send pipeline and the ranker.

INTERIM: until the ranking branch (``app.ranking``) lands, ``EditionRanking``
ranks by trending (upvotes), lifting papers whose text contains one of the
subscriber's interest phrases, and drops papers already sent to them.
After merging it, ``EditionRanking`` wraps ``app.ranking.ranker.prepare_edition``
and ``rank_subscribers``; nothing else in the pipeline changes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    arxiv_id: str
    title: str
    abstract: str
    upvotes: int
    ai_keywords: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Profile:
    key: int
    interests: str = ""
    topics: list[str] = field(default_factory=list)
    seed_papers: list[str] = field(default_factory=list)
    clicked: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    k: int = 7


@dataclass(frozen=True)
class RankedPick:
    arxiv_id: str
    score: float
    why: str


@dataclass(frozen=True)
class RankedDigest:
    key: int
    picks: list[RankedPick]
    trending_fallback: bool


class EditionRanking:
    """Ranks any number of subscribers against one edition's candidates."""

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        # Candidates arrive in trending order (the edition stores them that way).
        self.candidates = list(candidates)
        self.trending_rank = {c.arxiv_id: n for n, c in enumerate(self.candidates)}

    def rank(self, profiles: Sequence[Profile]) -> list[RankedDigest]:
        texts = [
            f"{c.title} {c.abstract} {' '.join(c.ai_keywords)}".lower() for c in self.candidates
        ]
        digests = []
        for profile in profiles:
            sent = set(profile.already_sent)
            phrases = [
                p.strip().lower()
                for p in re.split(r"[,;\n]+", profile.interests) + profile.topics
                if p.strip()
            ]
            scored = []
            for n, (candidate, text) in enumerate(zip(self.candidates, texts, strict=True)):
                if candidate.arxiv_id in sent:
                    continue
                matched = next((p for p in phrases if p in text), None)
                why = (
                    f"matches your interest in {matched}"
                    if matched
                    else _trending_why(n, candidate.upvotes)
                )
                score = float(candidate.upvotes) + (1e6 if matched else 0.0)
                scored.append(RankedPick(candidate.arxiv_id, score, why))
            scored.sort(key=lambda pick: -pick.score)
            picks = scored[: profile.k]
            personal = any(pick.score >= 1e6 for pick in picks)
            digests.append(RankedDigest(profile.key, picks, trending_fallback=not personal))
        return digests


def _trending_why(rank: int, upvotes: int) -> str:
    return f"#{rank + 1} trending on Hugging Face Daily Papers ({upvotes} upvotes)"


def trending_reason(rank: int, upvotes: int) -> str:
    """The reason shown for a paper in the "Trending today" section."""
    return _trending_why(rank, upvotes)
