"""Benchmark: 100,000 synthetic subscribers x 500 candidates, full top-10 with reasons.

Candidates are the first 500 papers of a Daily Papers month file (read at run
time, never copied into the project); profiles are synthetic: interests built
from the corpus's own AI keywords, random topics, and a realistic share of
seed papers, clicks, skipped papers and already-sent papers. Prints seconds
per stage and the peak RSS of the process.

    python bench/ranking.py [--papers-file F] [--subscribers N] [--candidates M]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.ranking import (
    CandidatePaper,
    RankingParams,
    SubscriberProfile,
    prepare_edition,
    rank_subscribers,
)
from app.topics import TOPICS

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "shared/data/hf-daily-papers/2025-09.json"


def load_papers(path: Path) -> list[CandidatePaper]:
    papers = []
    for item in json.loads(path.read_text()):
        p = item["paper"]
        featured = p.get("submittedOnDailyAt")
        papers.append(
            CandidatePaper(
                arxiv_id=p["id"],
                title=" ".join(p.get("title", "").split()),
                abstract=" ".join(p.get("summary", "").split()),
                ai_keywords=list(p.get("ai_keywords", [])),
                ai_summary=p.get("ai_summary"),
                upvotes=int(p.get("upvotes", 0)),
                upvote_velocity=random.random() * 5,
                github_stars=p.get("githubStars"),
                num_comments=int(item.get("numComments", 0)),
                featured_on=date.fromisoformat(featured[:10]) if featured else None,
            )
        )
    return papers


def synthetic_profiles(
    n: int, papers: list[CandidatePaper], candidates: list[CandidatePaper], rng: random.Random
) -> list[SubscriberProfile]:
    phrases = sorted({k for p in papers for k in p.ai_keywords if len(k) < 40})
    slugs = list(TOPICS)
    ids = [p.arxiv_id for p in papers]
    candidate_ids = [p.arxiv_id for p in candidates]
    profiles = []
    for key in range(n):
        roll = rng.random()
        interests = "" if roll < 0.03 else ", ".join(rng.sample(phrases, rng.randint(2, 5)))
        clicks: list[str] = []
        skipped: list[str] = []
        if roll > 0.7:  # 30% have clicked something; a third of them 5+ times
            clicks = rng.sample(ids, rng.randint(1, 4) if roll < 0.9 else rng.randint(5, 25))
            skipped = rng.sample(ids, rng.randint(5, 20))
        profiles.append(
            SubscriberProfile(
                key=key,
                interests=interests,
                topics=rng.sample(slugs, rng.randint(0, 3)),
                seed_papers=rng.sample(ids, rng.randint(1, 3)) if rng.random() < 0.1 else [],
                clicked=clicks,
                shown_not_clicked=skipped,
                already_sent=rng.sample(candidate_ids, 10) if rng.random() < 0.3 else [],
                k=10,
            )
        )
    return profiles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers-file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--candidates", type=int, default=500)
    parser.add_argument("--chunk-size", type=int, default=RankingParams().chunk_size)
    args = parser.parse_args()
    rng = random.Random(7)
    random.seed(7)
    papers = load_papers(args.papers_file)
    candidates = papers[: args.candidates]
    profiles = synthetic_profiles(args.subscribers, papers, candidates, rng)
    gc.collect()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    cpu_started = time.process_time()
    started = time.perf_counter()
    edition = prepare_edition(candidates, corpus=papers, now=datetime(2025, 10, 1, tzinfo=UTC))
    prepared = time.perf_counter()
    timings: dict[str, float] = {}
    digests = rank_subscribers(
        edition, profiles, params=RankingParams(chunk_size=args.chunk_size), timings=timings
    )
    finished = time.perf_counter()

    n_picks = sum(len(d.picks) for d in digests)
    fallbacks = sum(d.trending_fallback for d in digests)
    print(
        f"{len(profiles):,} subscribers x {len(candidates)} candidates "
        f"(corpus {len(papers)} papers), {n_picks:,} picks, {fallbacks:,} trending fallbacks"
    )
    print(f"{'stage':32} {'seconds':>8}")
    print(f"{'prepare edition':32} {prepared - started:8.3f}")
    for stage, seconds in timings.items():
        print(f"{'  ' + stage:32} {seconds:8.3f}")
    print(f"{'rank subscribers (total)':32} {finished - prepared:8.3f}")
    print(f"{'end to end':32} {finished - started:8.3f}")
    cpu = time.process_time() - cpu_started
    load = os.getloadavg()[0]
    cores = os.cpu_count()
    print(f"CPU time {cpu:.3f} s (all threads); load average {load:.1f} on {cores} cores")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB (before ranking, profiles built: {rss_before:.0f} MiB)")
    sample = digests[1]
    print(f"sample digest for subscriber {sample.subscriber_key}: {profiles[1].interests!r}")
    for pick in sample.picks[:3]:
        print(f"  {pick.arxiv_id} {pick.score:.3f} {pick.why}")


if __name__ == "__main__":
    main()
