"""Ranking for the public site: a query, or a paper's neighbours, over any stored papers.

The digest ranker fits its TF-IDF index and latent space on an edition's rolling
corpus. Search cannot refit per query (a second a fit), so ``fit_search_space``
fits both once on the rolling corpus and ``rank_query`` / ``similar_papers``
assemble an edition from the papers the full-text index retrieved
(``assemble_edition``), then rank it with ``rank_subscribers``, the very code that
ranks digests: a query is a subscriber whose interests are the query, a paper's
neighbours are a subscriber whose seed paper is that paper.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from threadpoolctl import threadpool_limits

from app.ranking.candidates import CandidatePaper, Pick, SubscriberProfile
from app.ranking.edition import PreparedEdition, assemble_edition, cyclic_gc_paused
from app.ranking.latent import GRAM_LIMIT, LatentSpace, SemanticSpace
from app.ranking.ranker import RankingParams, rank_subscribers
from app.ranking.relevance import TextIndex, similarity


@dataclass(frozen=True, eq=False)
class SearchSpace:
    """A TF-IDF index and latent space fitted once on the rolling corpus."""

    index: TextIndex
    latent: SemanticSpace


def fit_search_space(
    corpus: Sequence[CandidatePaper], *, backend: Literal["tfidf", "dense"] = "tfidf"
) -> SearchSpace:
    """Fit the index and latent space on ``corpus`` as ``prepare_edition`` would."""
    with cyclic_gc_paused(), threadpool_limits(limits=1, user_api="blas"):
        papers = list({p.arxiv_id: p for p in corpus}.values())
        index = TextIndex(papers)
        if backend == "dense":
            from app.ranking.dense import DenseSpace

            return SearchSpace(index, DenseSpace())
        library = index.transform_papers(papers)
        gram = similarity(library, library) if library.shape[0] <= GRAM_LIMIT else None
        return SearchSpace(index, LatentSpace(library, gram=gram))


def _edition(
    space: SearchSpace, candidates: Sequence[CandidatePaper], now: datetime
) -> PreparedEdition:
    papers = list({p.arxiv_id: p for p in reversed(candidates)}.values())[::-1]
    library = space.index.transform_papers(papers)
    gram = similarity(library, library) if library.shape[0] <= GRAM_LIMIT else None
    return assemble_edition(
        papers,
        index=space.index,
        latent_space=space.latent,
        library_papers=papers,
        library=library,
        library_gram=gram,
        now=now,
    )


def _rank(
    space: SearchSpace,
    candidates: Sequence[CandidatePaper],
    profile: SubscriberProfile,
    now: datetime,
    params: RankingParams | None,
) -> list[Pick]:
    if not candidates:
        return []
    with cyclic_gc_paused(), threadpool_limits(limits=1, user_api="blas"):
        edition = _edition(space, candidates, now)
        digest = rank_subscribers(edition, [profile], params=params)[0]
    # The ranker falls back to the trending order when nothing matched: a search says so.
    return [] if digest.trending_fallback else digest.picks


def rank_query(
    space: SearchSpace,
    candidates: Sequence[CandidatePaper],
    query: str,
    *,
    now: datetime,
    k: int,
    params: RankingParams | None = None,
) -> list[Pick]:
    """The ``k`` candidates the digest ranker would pick for interests ``query``, best first."""
    return _rank(space, candidates, SubscriberProfile(0, interests=query, k=k), now, params)


def similar_papers(
    space: SearchSpace,
    paper: CandidatePaper,
    candidates: Sequence[CandidatePaper],
    *,
    now: datetime,
    k: int,
) -> list[Pick]:
    """The ``k`` candidates the ranker finds most like ``paper`` (as a seed paper)."""
    others = [c for c in candidates if c.arxiv_id != paper.arxiv_id]
    profile = SubscriberProfile(0, seed_papers=[paper.arxiv_id], k=k)
    return _rank(space, [*others, paper], profile, now, None)
