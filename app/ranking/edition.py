"""One edition prepared for ranking: everything that does not depend on a subscriber.

``prepare_edition`` runs once per edition (or per ``recommend`` call): it fits
the TF-IDF index and the latent space on the rolling corpus, vectorises the
candidates, and precomputes their Gram matrix, trending scores and ranks, topic
similarities and the reason writer.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from threadpoolctl import ThreadpoolController

from app.ranking import explain
from app.ranking.acronyms import Acronyms
from app.ranking.candidates import CandidatePaper
from app.ranking.latent import GRAM_LIMIT, LatentSpace, SemanticSpace
from app.ranking.lexical import Bm25
from app.ranking.relevance import TextIndex, similarity
from app.ranking.trending import trending_ranks, trending_scores
from app.topics import TOPICS

FloatArray = NDArray[np.float32]


@dataclass(frozen=True, eq=False)
class TopicSpace:
    """The reader-facing topics as an index and a latent space see them. Their texts
    are fixed, so one fit needs them once (search assembles many small editions)."""

    slugs: list[str]
    vectors: sp.csr_matrix
    embedded: FloatArray


def topic_space(index: TextIndex, latent_space: SemanticSpace) -> TopicSpace:
    slugs = list(TOPICS)
    texts = [f"{TOPICS[s].label}. {TOPICS[s].description}" for s in slugs]
    vectors = index.transform_texts(texts)
    return TopicSpace(slugs, vectors, np.asarray(latent_space.embed(texts, vectors)))


@dataclass(frozen=True, eq=False)
class PreparedEdition:
    """Everything about one edition's candidates that does not depend on a subscriber."""

    papers: list[CandidatePaper]
    ids: list[str]
    column_of: dict[str, int]
    index: TextIndex
    vectors: sp.csr_matrix
    # BM25 weights of the candidates, the lexical half of interest scores.
    bm25: Bm25
    acronyms: Acronyms
    latent: SemanticSpace
    latent_vectors: FloatArray
    gram: FloatArray
    trending: FloatArray
    trending_rank: NDArray[np.int64]
    library_row: dict[str, int]
    library: sp.csr_matrix
    library_similarity: FloatArray
    # The same pairs' latent (LSA or dense) similarity, clipped at 0: feedback papers
    # count by both, as interests do.
    library_latent: FloatArray
    library_gram: FloatArray | None
    library_titles: list[str]
    topics: TopicSpace
    topic_similarity: FloatArray
    topic_latent: FloatArray
    reasons: explain.ReasonWriter


def prepare_edition(
    candidates: Sequence[CandidatePaper],
    *,
    corpus: Sequence[CandidatePaper] = (),
    now: datetime | None = None,
    backend: Literal["tfidf", "dense"] = "tfidf",
) -> PreparedEdition:
    """Index an edition's candidates (duplicates by arXiv id are dropped).

    ``corpus`` is the rolling window of recent papers the TF-IDF statistics are
    fitted on and seed / clicked papers are looked up in; the candidates are
    always part of it. ``backend`` is ``Settings.ranking_backend``: the semantic half
    of the interest score is LSA ("tfidf", default) or sentence embeddings ("dense").
    """
    with cyclic_gc_paused(), single_threaded_blas():
        return _prepare(candidates, corpus, now or datetime.now(UTC), backend)


_blas: ThreadpoolController | None = None
_blas_lock = threading.Lock()


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """BLAS on one thread while ranking: the products are small (a chunk x 100 latent
    dimensions x 500 papers), and OpenBLAS's threads spin up and busy-wait for longer
    than they save; on a shared 2-core machine that halved throughput.

    The BLAS libraries are looked up once per process (numpy loads them on import):
    each look-up walks every loaded library, a few milliseconds that a search paid
    twice per query.
    """
    global _blas
    with _blas_lock:
        if _blas is None:
            _blas = ThreadpoolController()
        controller = _blas
    with controller.limit(limits=1, user_api="blas"):
        yield


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while an edition or a batch is built.

    Both create hundreds of thousands (a batch: millions) of small, acyclic
    objects (vocabulary terms; picks, reasons); each allocation burst would
    otherwise trigger collections that rescan every live object (a sender holds
    100,000 profiles), which measured at 40% of a batch's time and a third of
    ``prepare_edition``'s. Reference counting still frees everything; the
    collector resumes (if it was on) when the work ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _prepare(
    candidates: Sequence[CandidatePaper],
    corpus: Sequence[CandidatePaper],
    now: datetime,
    backend: Literal["tfidf", "dense"],
) -> PreparedEdition:
    papers = list({p.arxiv_id: p for p in reversed(candidates)}.values())[::-1]
    column_of = {p.arxiv_id: n for n, p in enumerate(papers)}
    extra = [p for p in {p.arxiv_id: p for p in corpus}.values() if p.arxiv_id not in column_of]
    library_papers = papers + extra
    index = TextIndex(library_papers)
    fields = index.field_counts(library_papers)
    library = index.transform_papers(library_papers, fields)
    # Cosine between all library papers, when the library is small enough to hold it
    # (the LSA eigendecomposition and the click model both use it).
    library_gram = similarity(library, library) if library.shape[0] <= GRAM_LIMIT else None
    latent_space: SemanticSpace
    if backend == "dense":
        from app.ranking.dense import DenseSpace  # the extra is imported only when chosen

        latent_space = DenseSpace()
    else:
        latent_space = LatentSpace(library, gram=library_gram)
    return assemble_edition(
        papers,
        index=index,
        latent_space=latent_space,
        library_papers=library_papers,
        library=library,
        library_fields=fields,
        library_gram=library_gram,
        now=now,
    )


def assemble_edition(
    papers: list[CandidatePaper],
    *,
    index: TextIndex,
    latent_space: SemanticSpace,
    library_papers: list[CandidatePaper],
    library: sp.csr_matrix,
    library_fields: Sequence[sp.csr_matrix] | None = None,
    library_gram: FloatArray | None,
    now: datetime,
    acronyms: Acronyms | None = None,
    topics: TopicSpace | None = None,
) -> PreparedEdition:
    """An edition from an index and latent space already fitted (the papers lead the library).

    ``prepare_edition`` fits both on the edition's own corpus; the public site's search
    (``app.ranking.search``) reuses one fit for every query, and with it the fit's
    ``acronyms`` and ``topics`` (else learned from the library, and computed, here).
    """
    fields = library_fields if library_fields is not None else index.field_counts(library_papers)
    vectors = sp.csr_matrix(library[: len(papers)])
    latent_vectors = latent_space.embed_papers(
        [f"{p.title}. {p.abstract}" for p in papers], vectors
    )
    extra = library_papers[len(papers) :]
    library_latent = latent_vectors @ latent_vectors.T
    if extra:
        embedded = latent_space.embed_papers(
            [f"{p.title}. {p.abstract}" for p in extra], sp.csr_matrix(library[len(papers) :])
        )
        library_latent = np.vstack([library_latent, embedded @ latent_vectors.T])
    np.maximum(library_latent, 0.0, out=library_latent)
    gram = similarity(vectors, vectors)
    raw, normalised = trending_scores(papers, now)
    ranks = trending_ranks(raw)
    topics = topics or topic_space(index, latent_space)
    acronyms = acronyms or Acronyms(index, [f"{p.title}. {p.abstract}" for p in library_papers])
    bm25 = Bm25.fit(fields, len(papers))
    return PreparedEdition(
        papers=papers,
        ids=[p.arxiv_id for p in papers],
        column_of={p.arxiv_id: n for n, p in enumerate(papers)},
        index=index,
        vectors=vectors,
        bm25=bm25,
        acronyms=acronyms,
        latent=latent_space,
        latent_vectors=latent_vectors,
        gram=gram,
        trending=normalised.astype(np.float32),
        trending_rank=ranks,
        library_row={p.arxiv_id: n for n, p in enumerate(library_papers)},
        library=library,
        # With no papers beyond the candidates the library's rows are the candidates'.
        library_similarity=similarity(library, vectors) if extra else gram,
        library_latent=np.asarray(library_latent, dtype=np.float32),
        library_gram=library_gram,
        library_titles=[explain.shorten(p.title) for p in library_papers],
        topics=topics,
        topic_similarity=similarity(topics.vectors, vectors),
        topic_latent=np.asarray(topics.embedded @ latent_vectors.T, dtype=np.float32),
        reasons=explain.ReasonWriter(
            index.terms,
            [
                explain.trending_phrase(int(r), p.upvotes)
                for r, p in zip(ranks, papers, strict=True)
            ],
            index.written_spans,
            lambda term: acronyms.partners(term) + index.words_of(term),
            two_word=index.phrase_boost > 1.0,
            presence=bm25.by_term,
        ),
    )
