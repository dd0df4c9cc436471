"""The body of ``paperboy recommend``: the production ranker on a saved Daily Papers file.

No database: the file is parsed with the shared ingest parser (broken items are
skipped exactly as ingest skips them), its papers are both the candidates and
the corpus, and one profile is built from the command line. The ranking is the
same ``prepare_edition`` / ``rank_subscribers`` path every digest goes through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypedDict

from app.ingest.parse import DumpFileError, load_daily_papers_file
from app.ranking.candidates import SubscriberProfile, as_of, candidate_from
from app.ranking.ranker import prepare_edition, rank_subscribers
from app.wording import plural


class Recommendation(TypedDict):
    arxiv_id: str
    score: float
    why: str


def recommend(
    papers_file: Path,
    interests: str,
    seed_papers: list[str],
    clicked: list[str],
    k: int,
    *,
    backend: Literal["tfidf", "dense"] = "tfidf",
) -> list[Recommendation]:
    """The top ``k`` papers of ``papers_file`` for one reader, best first.

    Returns ``[{"arxiv_id", "score", "why"}]``. Notes about the profile (an
    unknown seed paper id) are appended to the first pick's ``why``. Raises
    ``app.ingest.parse.DumpFileError`` when the file cannot be read as a whole, or
    when not one of its items is a Daily Papers item (another JSON array, such as
    ``paperboy papers --json``'s, would otherwise rank nothing and say nothing).
    """
    parsed = load_daily_papers_file(papers_file)
    if parsed.skipped and not parsed.papers:
        first = parsed.skipped[0]
        raise DumpFileError(
            f"{papers_file}: none of its {plural(len(parsed.skipped), 'item')} is a Daily "
            "Papers item "
            f"(as the API returns them, or `paperboy ingest --file` takes them); "
            f"{first.item}: {first.reason}"
        )
    candidates = [candidate_from(p, featured_on=p.featured_on) for p in parsed.papers]
    edition = prepare_edition(candidates, now=as_of(candidates), backend=backend)
    profile = SubscriberProfile(
        key=0, interests=interests, seed_papers=list(seed_papers), clicked=list(clicked), k=k
    )
    digest = rank_subscribers(edition, [profile])[0]
    result: list[Recommendation] = [
        {"arxiv_id": pick.arxiv_id, "score": round(pick.score, 6), "why": pick.why}
        for pick in digest.picks
    ]
    if result and digest.notes:
        result[0]["why"] = f"{result[0]['why']} ({'; '.join(digest.notes)})"
    return result
