"""Relevance benchmark: nDCG@10 of the ranker against BM25 and trending on two judged sets.

The judged sets (bench/data/, see its README) grade papers of one Daily Papers
month each: September 2025 (8 interests; the set the ranker's knobs were chosen
on) and November 2025 (14 interests; held out, frozen before any tuning on it).
The month files are read from ``--samples`` (never copied into the project);
unjudged papers count as not relevant.

For each set it prints
  * the mean nDCG@10 and P@10 of BM25, trending, the ranker (interest text only),
    the ranker's lexical half alone, and the ranker + the topics the reader ticked;
  * nDCG@10 per profile, ranker beside BM25;
  * the feedback evaluation: the reader saw the first page (the ranker's top 10),
    clicked its relevant papers (up to 5); the second page is ranked again
    (first-page papers removed from the ranking and from the grades) with no
    feedback, with those clicks, with the same papers as seed papers, and with the
    clicks plus the rest of the first page as shown-but-not-clicked, and with likes
    and dislikes ("more / fewer like this"); beside it, the alternative where every
    reader has seen two digests and dislikes five papers;
  * readers who bring papers and write nothing, two ways of drawing them.

    python bench/relevance.py [--samples DIR] [--set 2025-09|2025-11]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bm25 import BM25

from app.ingest.parse import load_daily_papers_file
from app.ranking import (
    PreparedEdition,
    RankingParams,
    SubscriberProfile,
    prepare_edition,
    rank_subscribers,
    reader_profile,
)
from app.ranking.candidates import as_of, candidate_from

HERE = Path(__file__).resolve().parent
DEFAULT_SAMPLES = HERE.parents[1] / "shared/data/hf-daily-papers"
DEFAULT_FILE = DEFAULT_SAMPLES / "2025-09.json"  # the September set's month (bench/dense.py)
K = 10
CLICKS = 5
BROUGHT = 10
DRAWS = 3


@dataclass(frozen=True)
class JudgedSet:
    month: str
    queries: str
    judgments: str
    note: str


SETS = [
    JudgedSet("2025-09", "queries.json", "judgments.json", "knobs chosen on this set"),
    JudgedSet(
        "2025-11", "queries-2025-11.json", "judgments-2025-11.json", "held out, never tuned on"
    ),
]


def squarely_first(grades: dict[str, int], n: int, rng: random.Random) -> list[str]:
    """``n`` relevant papers, grade 2 before grade 1, each grade in a random order."""
    drawn: list[str] = []
    for grade in (2, 1):
        papers = sorted(i for i, g in grades.items() if g == grade)
        rng.shuffle(papers)
        drawn += papers
    return drawn[:n]


def any_relevant(grades: dict[str, int], n: int, rng: random.Random) -> list[str]:
    """``n`` relevant papers drawn at random, whatever their grade."""
    return rng.sample(sorted(i for i, g in grades.items() if g > 0), n)


BROUGHT_DRAWS = {"squarely relevant first": squarely_first, "any relevant": any_relevant}


def ndcg(ranking: Sequence[str], grades: dict[str, int], k: int = K) -> float:
    gain = sum((2 ** grades.get(i, 0) - 1) / math.log2(n + 2) for n, i in enumerate(ranking[:k]))
    ideal_grades = sorted(grades.values(), reverse=True)[:k]
    ideal = sum((2**g - 1) / math.log2(n + 2) for n, g in enumerate(ideal_grades))
    return gain / ideal if ideal else 0.0


def precision(ranking: Sequence[str], grades: dict[str, int], k: int = K) -> float:
    return sum(grades.get(i, 0) > 0 for i in ranking[:k]) / k


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


Ranker = Callable[[SubscriberProfile], list[str]]


def ranker_for(edition: PreparedEdition, params: RankingParams | None = None) -> Ranker:
    def rank(profile: SubscriberProfile) -> list[str]:
        digest = rank_subscribers(edition, [profile], params=params)[0]
        return [p.arxiv_id for p in digest.picks]

    return rank


def evaluate(
    judged: JudgedSet, samples: Path, params: RankingParams | None = None
) -> dict[str, float]:
    """Print one set's tables; return its headline figures (means)."""
    queries = json.loads((HERE / "data" / judged.queries).read_text())
    judgments: dict[str, dict[str, int]] = json.loads(
        (HERE / "data" / judged.judgments).read_text()
    )
    parsed = load_daily_papers_file(samples / f"{judged.month}.json").papers
    papers = list(
        {p.arxiv_id: candidate_from(p, featured_on=p.featured_on) for p in parsed}.values()
    )
    ids = [p.arxiv_id for p in papers]
    edition = prepare_edition(papers, now=as_of(papers))
    bm25 = BM25([f"{p.title} {p.abstract}" for p in papers])
    trending = ranker_for(edition)(SubscriberProfile(0, "", k=K))
    params = params or RankingParams()
    ranker = ranker_for(edition, params)
    lexical = ranker_for(edition, replace(params, latent_share=0.0))

    methods: dict[str, list[tuple[float, float]]] = {}
    feedback: dict[str, list[float]] = {}
    brought: dict[str, dict[str, list[float]]] = {}
    clicks_per_query: list[int] = []
    dislikes_per_query: list[int] = []
    five_dislikes: dict[str, list[float]] = {}
    five_per_query: list[int] = []
    brought_per_query: list[int] = []

    def record(name: str, ranking: list[str], grades: dict[str, int]) -> None:
        methods.setdefault(name, []).append((ndcg(ranking, grades), precision(ranking, grades)))

    for query in queries:
        grades = judgments[query["id"]]
        text = query["interests"]
        scores = bm25.scores(text)
        order = sorted(range(len(ids)), key=lambda i: -scores[i])
        record("BM25 (interest text)", [ids[i] for i in order], grades)
        record("trending only", trending, grades)
        plain = SubscriberProfile(0, text, k=K)
        first = ranker(plain)
        record("ranker", first, grades)
        record("ranker, lexical half only", lexical(plain), grades)
        record("ranker + topics", ranker(replace(plain, topics=query["topics"])), grades)

        # The reader saw page one (the ranker's top 10) and opened its relevant papers
        # (up to CLICKS); "More like this" on those, "Fewer like this" on the others.
        clicked = [i for i in first if grades.get(i, 0) > 0][:CLICKS]
        disliked = [i for i in first if grades.get(i, 0) == 0][:CLICKS]
        residual = {i: g for i, g in grades.items() if i not in first}
        reader = partial(reader_profile, 0, interests=text, shown=first, k=K)
        runs = {
            "no feedback": reader(),
            "clicks": reader(clicked=clicked),
            "clicks + skips": reader(clicked=clicked),
            "seed papers": reader(seed_papers=clicked),
            "likes + dislikes": reader(liked=clicked, disliked=disliked),
        }
        # Shown-but-not-clicked papers are weak negatives only once the click model runs;
        # "clicks" alone has none (as `paperboy recommend --clicked` gives).
        runs["clicks"] = replace(runs["clicks"], shown_not_clicked=[])
        for name, profile in runs.items():
            feedback.setdefault(name, []).append(ndcg(ranker(profile), residual))
        clicks_per_query.append(len(clicked))
        dislikes_per_query.append(len(disliked))

        # The alternative with five dislikes for every reader (bench/data/README.md): the
        # reader has seen two digests (page one, then the second page without feedback),
        # likes page one's relevant papers and dislikes the first 5 non-relevant papers of
        # the two; graded on the papers not seen.
        seen = first + ranker(runs["no feedback"])
        five = [i for i in seen if grades.get(i, 0) == 0][:CLICKS]
        unseen = {i: g for i, g in grades.items() if i not in seen}
        after_two = partial(reader_profile, 0, interests=text, shown=seen, k=K)
        for name, profile in {
            "no feedback": after_two(),
            "likes": after_two(liked=clicked),
            "likes + 5 dislikes": after_two(liked=clicked, disliked=five),
        }.items():
            five_dislikes.setdefault(name, []).append(ndcg(ranker(profile), unseen))
        five_per_query.append(len(five))

        # A reader who brought papers and wrote nothing: BROUGHT of the relevant papers
        # (at most half of them, so some are left to find), drawn DRAWS times; every
        # ranking is graded on the papers not brought. Two ways to draw: from a reader's
        # own library, i.e. the papers squarely on the interest (grade 2) first, and
        # from any relevant paper (grade 1 or 2).
        n_brought = min(BROUGHT, sum(g > 0 for g in grades.values()) // 2)
        for way, draw_from in BROUGHT_DRAWS.items():
            alone, brought_only, both = [], [], []
            for draw in range(DRAWS):
                seeds = draw_from(grades, n_brought, random.Random(f"{query['id']}/{draw}"))
                rest = {i: g for i, g in grades.items() if i not in seeds}
                alone.append(ndcg(ranker(reader(shown=seeds)), rest))
                brought_only.append(
                    ndcg(ranker(reader(interests="", seed_papers=seeds, shown=seeds)), rest)
                )
                both.append(ndcg(ranker(reader(seed_papers=seeds, shown=seeds)), rest))
            runs_of = brought.setdefault(way, {})
            runs_of.setdefault("interest text", []).append(mean(alone))
            runs_of.setdefault("brought papers only", []).append(mean(brought_only))
            runs_of.setdefault("text + brought", []).append(mean(both))
        brought_per_query.append(n_brought)

    print(f"\n== {judged.month}: {len(queries)} profiles, {len(papers)} papers ({judged.note})")
    print(f"{'method':32} {'nDCG@10':>8} {'P@10':>6}")
    for name, values in methods.items():
        print(f"{name:32} {mean([v[0] for v in values]):8.3f} {mean([v[1] for v in values]):6.3f}")

    bm25_scores = [v[0] for v in methods["BM25 (interest text)"]]
    ranker_scores = [v[0] for v in methods["ranker"]]
    topic_scores = [v[0] for v in methods["ranker + topics"]]
    print(f"\n{'profile':18} {'BM25':>6} {'ranker':>7} {'-BM25':>6} {'+topics':>8}")
    for query, b, r, t in zip(queries, bm25_scores, ranker_scores, topic_scores, strict=True):
        print(f"{query['id']:18} {b:6.3f} {r:7.3f} {r - b:+6.3f} {t:8.3f}")
    worst = min(r - b for b, r in zip(bm25_scores, ranker_scores, strict=True))
    print(f"{'mean':18} {mean(bm25_scores):6.3f} {mean(ranker_scores):7.3f}", end="")
    print(f" {mean(ranker_scores) - mean(bm25_scores):+6.3f}   worst profile vs BM25 {worst:+.3f}")

    names = list(feedback)
    print(
        "\nsecond page (first page removed), nDCG@10; clicks and likes = relevant papers of"
        " page one, dislikes = the others"
    )
    print(f"{'profile':18} {'clk':>3} {'dis':>3} " + " ".join(f"{n:>16}" for n in names))
    for n, query in enumerate(queries):
        row = " ".join(f"{feedback[name][n]:16.3f}" for name in names)
        print(f"{query['id']:18} {clicks_per_query[n]:3d} {dislikes_per_query[n]:3d} {row}")
    print(f"{'mean':18} {'':7} " + " ".join(f"{mean(feedback[name]):16.3f}" for name in names))
    print_deltas(feedback, "no feedback")

    names = list(five_dislikes)
    print(
        "\nalternative: two digests seen (20 papers), likes = page one's relevant papers,"
        " 5 dislikes = the first non-relevant of the 20; graded on the papers not seen"
    )
    print(f"{'profile':18} {'clk':>3} {'dis':>3} " + " ".join(f"{n:>18}" for n in names))
    for n, query in enumerate(queries):
        row = " ".join(f"{five_dislikes[name][n]:18.3f}" for name in names)
        print(f"{query['id']:18} {clicks_per_query[n]:3d} {five_per_query[n]:3d} {row}")
    print(f"{'mean':18} {'':7} " + " ".join(f"{mean(five_dislikes[name]):18.3f}" for name in names))
    print_deltas(five_dislikes, "no feedback")

    for way, runs_of in brought.items():
        names = list(runs_of)
        print(
            f"\nbrought papers, {way}: {BROUGHT} relevant papers (at most half of them) as"
            f" seeds, mean of {DRAWS} draws, graded on the rest"
        )
        print(f"{'profile':18} {'n':>3} " + " ".join(f"{n:>20}" for n in names))
        for n, query in enumerate(queries):
            row = " ".join(f"{runs_of[name][n]:20.3f}" for name in names)
            print(f"{query['id']:18} {brought_per_query[n]:3d} {row}")
        print(f"{'mean':18} {'':3} " + " ".join(f"{mean(runs_of[name]):20.3f}" for name in names))
        print_deltas(runs_of, "interest text")
    return {
        "ranker": mean(ranker_scores),
        "bm25": mean(bm25_scores),
        "worst": worst,
        "topics": mean(topic_scores),
        **{name: mean(values) for name, values in feedback.items()},
        **{f"two digests: {name}": mean(values) for name, values in five_dislikes.items()},
        **{
            f"{way}: {name}": mean(values)
            for way, runs_of in brought.items()
            for name, values in runs_of.items()
        },
    }


def print_deltas(runs: dict[str, list[float]], base_name: str) -> None:
    base = runs[base_name]
    for name, values in runs.items():
        if name == base_name:
            continue
        deltas = [a - b for a, b in zip(values, base, strict=True)]
        print(
            f"  {name:20} vs {base_name}: mean {mean(deltas):+.3f}, "
            f"worst profile {min(deltas):+.3f}, profiles worse {sum(d < -1e-9 for d in deltas)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    parser.add_argument("--set", choices=[s.month for s in SETS], help="only this set")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a RankingParams knob (tuning: on the September set only)",
    )
    args = parser.parse_args()
    knobs = {f.name: f.type for f in fields(RankingParams)}
    overrides: dict[str, float] = {}
    for item in args.param:
        name, _, value = item.partition("=")
        if name not in knobs:
            parser.error(f"no such knob: {name}")
        overrides[name] = float(value)
    params = RankingParams(**overrides)  # type: ignore[arg-type]
    for judged in SETS:
        if args.set in (None, judged.month):
            evaluate(judged, args.samples, params)


if __name__ == "__main__":
    main()
