"""Ranking for the public site: a query, or a paper's neighbours, over any stored papers.

The digest ranker fits its TF-IDF index and latent space on an edition's rolling
corpus. Search cannot refit per query (seconds per fit), so ``fit_search_space``
prepares the whole rolling corpus once as one edition (``prepare_edition``, the
digest's own code) and keeps it. Then:

* ``rank_corpus`` ranks every corpus paper for a query with ``rank_subscribers``
  on that edition: a query is a subscriber whose interests are the query, so over
  the recent papers search and the digest rank alike, and a query costs one
  subscriber's ranking (a few milliseconds), no per-query fit;
* ``rank_query`` assembles a small edition from given candidates (the best recent
  ones and the older papers the database's full-text index retrieved;
  ``assemble_edition``, the corpus papers' vectors reused) and ranks it the same way;
  ``similar_papers`` scores a paper's neighbours with the same vectors (the whole
  corpus in one sparse product, and the older papers given to it).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
import scipy.sparse as sp

from app.ranking import latent as latent_mix
from app.ranking.candidates import CandidatePaper, Pick, SubscriberProfile
from app.ranking.edition import PreparedEdition, assemble_edition, cyclic_gc_paused
from app.ranking.latent import SemanticSpace
from app.ranking.ranker import RankingParams, prepare_edition, rank_subscribers
from app.ranking.relevance import TextIndex, paper_fields

_WORDS = re.compile(r"\w+")


@dataclass(frozen=True, eq=False)
class SearchSpace:
    """The rolling corpus prepared once as one edition (its TF-IDF index, latent space
    and papers' vectors), and how many corpus papers each lower-cased word occurs in
    (so retrieval can tell a query's rare, discriminating words from common ones)."""

    index: TextIndex
    latent: SemanticSpace
    papers: list[CandidatePaper]
    row_of: dict[str, int]
    vectors: sp.csr_matrix
    # The same, transposed (terms x papers): the right operand of every query product.
    vectors_by_term: sp.csr_matrix
    latent_vectors: np.ndarray
    document_frequency: Mapping[str, int]
    # Every corpus paper as an edition's candidate: what ``rank_corpus`` ranks.
    edition: PreparedEdition
    # The corpus papers' term counts per field (title, keywords, body), in ``papers`` order:
    # a small edition of corpus papers is assembled without tokenising them again.
    fields: tuple[sp.csr_matrix, ...] = ()

    def rarest(self, words: Sequence[str], *, max_share: float, most: int) -> list[str]:
        """Up to ``most`` of ``words`` in at most ``max_share`` of the corpus, rarest first."""
        total = max(len(self.papers), 1)
        share = {w: self.document_frequency.get(w, 0) / total for w in words}
        return sorted((w for w in words if share[w] <= max_share), key=share.__getitem__)[:most]


def fit_search_space(
    corpus: Sequence[CandidatePaper],
    *,
    now: datetime | None = None,
    backend: Literal["tfidf", "dense"] = "tfidf",
) -> SearchSpace:
    """Prepare ``corpus`` as one edition (``prepare_edition``: the digest's fit) as of ``now``."""
    papers = list({p.arxiv_id: p for p in corpus}.values())
    edition = prepare_edition(papers, now=now, backend=backend)
    frequency: Counter[str] = Counter()
    for paper in edition.papers:
        frequency.update(set(_WORDS.findall(" ".join(paper_fields(paper)).lower())))
    return SearchSpace(
        index=edition.index,
        latent=edition.latent,
        papers=edition.papers,
        row_of=dict(edition.column_of),
        vectors=edition.vectors,
        vectors_by_term=sp.csr_matrix(edition.vectors.T),
        latent_vectors=edition.latent_vectors,
        document_frequency=dict(frequency),
        edition=edition,
        fields=tuple(edition.index.field_counts(edition.papers)),
    )


def rank_corpus(
    space: SearchSpace,
    query: str,
    *,
    k: int,
    exclude: Sequence[str] = (),
    params: RankingParams | None = None,
) -> list[Pick]:
    """The ``k`` corpus papers the digest ranker would pick for interests ``query``
    (leaving out the arXiv ids in ``exclude``), best first; none when nothing matched."""
    if not space.papers:
        return []
    profile = SubscriberProfile(0, interests=query, k=k, already_sent=list(exclude))
    digest = rank_subscribers(space.edition, [profile], params=params)[0]
    return [] if digest.trending_fallback else digest.picks


def _in_order(
    space: SearchSpace,
    papers: Sequence[CandidatePaper],
    known_rows: sp.csr_matrix,
    missing_rows: sp.csr_matrix,
) -> sp.csr_matrix:
    """Rows of the corpus papers among ``papers`` and of the others, in ``papers`` order."""
    known = [n for n, p in enumerate(papers) if p.arxiv_id in space.row_of]
    missing = [n for n, p in enumerate(papers) if p.arxiv_id not in space.row_of]
    stacked = sp.vstack([known_rows, missing_rows], format="csr")
    # Rows are known-then-missing; put them back in the papers' order.
    order = np.empty(len(papers), dtype=np.int64)
    order[known + missing] = np.arange(len(papers))
    return sp.csr_matrix(stacked[order])


def _corpus_rows(space: SearchSpace, papers: Sequence[CandidatePaper]) -> list[int]:
    return [space.row_of[p.arxiv_id] for p in papers if p.arxiv_id in space.row_of]


def _vectors(space: SearchSpace, papers: Sequence[CandidatePaper]) -> sp.csr_matrix:
    """The papers' rows: the corpus's own where it has them, the rest vectorised now."""
    missing = [p for p in papers if p.arxiv_id not in space.row_of]
    known = space.vectors[_corpus_rows(space, papers)]
    return _in_order(space, papers, known, space.index.transform_papers(missing))


def _edition(
    space: SearchSpace, candidates: Sequence[CandidatePaper], now: datetime
) -> PreparedEdition:
    papers = list({p.arxiv_id: p for p in reversed(candidates)}.values())[::-1]
    # Term counts: the corpus's own where it has them, only the others tokenised now.
    missing = [p for p in papers if p.arxiv_id not in space.row_of]
    rows = _corpus_rows(space, papers)
    if space.fields:
        missing_fields = space.index.field_counts(missing)
        fields = [
            _in_order(space, papers, known[rows], new)
            for known, new in zip(space.fields, missing_fields, strict=True)
        ]
    else:
        fields = space.index.field_counts(papers)
    # The library is the candidates alone: a query has no seed or clicked papers to
    # look up, and "similar papers" passes its paper as a candidate. No click model
    # runs, so the library's Gram matrix is not needed.
    return assemble_edition(
        papers,
        index=space.index,
        latent_space=space.latent,
        library_papers=papers,
        library=space.index.transform_papers(papers, fields),
        library_fields=fields,
        library_gram=None,
        now=now,
        # The fit's own: learned from the whole rolling corpus, not from these few.
        acronyms=space.edition.acronyms,
        topics=space.edition.topics,
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
    with cyclic_gc_paused():
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
    k: int,
    recent: int = 0,
    params: RankingParams | None = None,
) -> list[Pick]:
    """The ``k`` papers most like ``paper`` by the ranker's vectors (TF-IDF cosine mixed
    with latent similarity, as it scores interests), without the trending blend or
    diversity a digest adds: a reader asked for neighbours, not for a digest.

    Among ``candidates`` and, with ``recent``, that many corpus papers closest to it (the
    corpus scored whole, one sparse product). ``paper`` and the candidates the corpus
    lacks are vectorised once, here.
    """
    params = params or RankingParams()
    given = list({c.arxiv_id: c for c in candidates if c.arxiv_id != paper.arxiv_id}.values())
    rows = _vectors(space, [paper, *given])
    texts = [f"{p.title}. {p.abstract}" for p in [paper, *given]]
    embedded = space.latent.embed_papers(texts, rows)

    def similarities(by_term: sp.spmatrix, latent_rows: np.ndarray) -> tuple[np.ndarray, ...]:
        """The paper's TF-IDF cosines and latent similarities to these papers' vectors."""
        cosine = np.asarray((rows[:1] @ by_term).toarray(), dtype=np.float32)
        return cosine, np.asarray(embedded[:1] @ latent_rows.T, dtype=np.float32)

    cosine, latent = similarities(rows[1:].T, embedded[1:])
    others = given
    if recent and space.papers:
        corpus_cosine, corpus_latent = similarities(space.vectors_by_term, space.latent_vectors)
        mixed = latent_mix.hybrid(corpus_cosine.copy(), corpus_latent.copy(), params.latent_share)
        closest: list[int] = []
        for column in np.argsort(-mixed[0], kind="stable").tolist():
            if mixed[0, column] <= 0 or len(closest) == recent:
                break
            if space.papers[column].arxiv_id != paper.arxiv_id:
                closest.append(column)
        chosen = {space.papers[column].arxiv_id for column in closest}
        kept = [n for n, other in enumerate(given) if other.arxiv_id not in chosen]
        others = [space.papers[column] for column in closest] + [given[n] for n in kept]
        cosine = np.hstack([corpus_cosine[:, closest], cosine[:, kept]])
        latent = np.hstack([corpus_latent[:, closest], latent[:, kept]])
    if not others:
        return []
    # Mixed over the candidates together, as the ranker mixes an interest's scores.
    scores = latent_mix.hybrid(cosine, latent, params.latent_share)[0]
    best = np.argsort(-scores, kind="stable")[:k]
    return [
        Pick(others[n].arxiv_id, float(scores[n]), "similar")
        for n in best.tolist()
        if scores[n] > 0
    ]
