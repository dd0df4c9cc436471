"""Relevance benchmark: nDCG@10 and P@10 of the ranker against baselines on our judged set.

The judged set (bench/data/, see its README) grades papers of one Daily Papers
month for 8 interest statements. The month file itself is read from the path
given (never copied into the project); unjudged papers count as not relevant.

Rows:
  BM25 (interest text)       Okapi BM25 over title + abstract, the baseline to beat
  trending only              the trending order, the same for everyone
  ranker, TF-IDF only        production ranker without the latent (LSA) half
  ranker + PRF               production ranker with pseudo-relevance feedback on
  ranker                     production ranker on the interest text alone
  ranker + topics            ... plus the topics the subscriber would tick
  ranker, 2nd page           residual collection: top 20 already shown, no clicks
  ranker + simulated clicks  residual collection: clicks on relevant papers of the top 20

    python bench/relevance.py [PAPERS_FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bm25 import BM25

from app.ingest.parse import load_daily_papers_file
from app.ranking import (
    RankingParams,
    SubscriberProfile,
    prepare_edition,
    rank_subscribers,
)
from app.ranking.candidates import as_of, candidate_from

HERE = Path(__file__).resolve().parent
DEFAULT_FILE = HERE.parents[1] / "shared/data/hf-daily-papers/2025-09.json"
K = 10


def ndcg(ranking: Sequence[str], grades: dict[str, int], k: int = K) -> float:
    gain = sum((2 ** grades.get(i, 0) - 1) / math.log2(n + 2) for n, i in enumerate(ranking[:k]))
    ideal_grades = sorted(grades.values(), reverse=True)[:k]
    ideal = sum((2**g - 1) / math.log2(n + 2) for n, g in enumerate(ideal_grades))
    return gain / ideal if ideal else 0.0


def precision(ranking: Sequence[str], grades: dict[str, int], k: int = K) -> float:
    return sum(grades.get(i, 0) > 0 for i in ranking[:k]) / k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("papers_file", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--per-query", action="store_true", help="also print each query's nDCG")
    args = parser.parse_args()
    queries = json.loads((HERE / "data/queries.json").read_text())
    judgments: dict[str, dict[str, int]] = json.loads((HERE / "data/judgments.json").read_text())

    parsed = load_daily_papers_file(args.papers_file).papers
    papers = list(
        {p.arxiv_id: candidate_from(p, featured_on=p.featured_on) for p in parsed}.values()
    )
    ids = [p.arxiv_id for p in papers]
    edition = prepare_edition(papers, now=as_of(papers))
    bm25 = BM25([f"{p.title} {p.abstract}" for p in papers])
    everyone = SubscriberProfile(0, "", k=len(papers))
    trending = [p.arxiv_id for p in rank_subscribers(edition, [everyone])[0].picks]

    def ranker(profile: SubscriberProfile, params: RankingParams | None = None) -> list[str]:
        digest = rank_subscribers(edition, [profile], params=params)[0]
        return [p.arxiv_id for p in digest.picks]

    rows: dict[str, list[tuple[float, float]]] = {}
    clicks: list[int] = []

    def record(name: str, ranking: list[str], grades: dict[str, int]) -> None:
        rows.setdefault(name, []).append((ndcg(ranking, grades), precision(ranking, grades)))

    for query in queries:
        grades = judgments[query["id"]]
        text = query["interests"]
        scores = bm25.scores(text)
        record("BM25 (interest text)", sorted(ids, key=lambda i: -scores[ids.index(i)]), grades)
        record("trending only", trending, grades)
        plain = SubscriberProfile(0, text, k=30)
        record("ranker, TF-IDF only", ranker(plain, RankingParams(latent_share=0.0)), grades)
        record("ranker + PRF", ranker(plain, RankingParams(prf_weight=0.5)), grades)
        first = ranker(plain)
        record("ranker", first, grades)
        record("ranker + topics", ranker(replace(plain, topics=query["topics"])), grades)
        # Two digests of 10 were shown; the subscriber opened the relevant ones.
        shown = first[:20]
        residual = {i: g for i, g in grades.items() if i not in shown}
        page_two = replace(plain, already_sent=shown)
        record("ranker, 2nd page (residual)", ranker(page_two), residual)
        clicked = [i for i in shown if grades.get(i, 0) > 0]
        skipped = [i for i in shown if grades.get(i, 0) == 0]
        learner = replace(page_two, clicked=clicked, shown_not_clicked=skipped)
        record("ranker + simulated clicks (residual)", ranker(learner), residual)
        clicks.append(len(clicked))

    print(f"{len(queries)} queries, {len(papers)} papers, unjudged = not relevant")
    print(f"{'method':44} {'nDCG@10':>8} {'P@10':>6}")
    for name, values in rows.items():
        mean_ndcg = sum(v[0] for v in values) / len(values)
        mean_p = sum(v[1] for v in values) / len(values)
        print(f"{name:44} {mean_ndcg:8.3f} {mean_p:6.3f}")
        if args.per_query:
            print(
                "   "
                + " ".join(f"{q['id']}={v[0]:.2f}" for q, v in zip(queries, values, strict=True))
            )

    print(f"simulated clicks per query (relevant papers in the first 20): {clicks}")


if __name__ == "__main__":
    main()
