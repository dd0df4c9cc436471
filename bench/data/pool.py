"""Print the pool of papers to grade for one judged query (how bench/data was made).

Pool = union of the top 25 of BM25 over the interest text, the top 25 of the
ranker (interests only, and interests + topics), and every paper whose title or
AI keywords contain one of the query's shortlist keywords. Papers are printed
with their title and the start of the abstract, for a person to grade 0/1/2.

    python bench/data/pool.py QUERY_ID [--papers-file F]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bm25 import BM25

from app.ingest.parse import load_daily_papers_file
from app.ranking import SubscriberProfile, prepare_edition, rank_subscribers
from app.ranking.candidates import as_of, candidate_from

HERE = Path(__file__).resolve().parent
DEFAULT_FILE = HERE.parents[2] / "shared/data/hf-daily-papers/2025-09.json"

# Shortlist keywords (lower case, matched in title + AI keywords): recall aids only.
KEYWORDS = {
    "inference": [
        "speculative",
        "kv cache",
        "kv-cache",
        "decoding",
        "quantiz",
        "sparse attention",
        "acceleration",
        "cache",
        "compression",
        "token pruning",
    ],
    "video": ["video"],
    "rl-reasoning": ["reinforcement", "rlvr", "grpo", "policy optimization", "verifiable"],
    "robots": ["robot", "manipulation", "vision-language-action", "vla", "embodied"],
    "gui-agents": [
        "gui",
        "computer-use",
        "computer use",
        "web agent",
        "browser",
        "mobile agent",
        "phone",
        "os agent",
        "screen",
    ],
    "speech": ["speech", "tts", "asr", "spoken", "audio", "voice"],
    "3d": ["3d", "gaussian splatting", "reconstruction", "nerf", "radiance", "multi-view", "depth"],
    "rag": ["retrieval", "rag", "embedding", "search", "rerank", "retriev"],
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("query")
    parser.add_argument("--papers-file", type=Path, default=DEFAULT_FILE)
    args = parser.parse_args()
    queries = {q["id"]: q for q in json.loads((HERE / "queries.json").read_text())}
    query = queries[args.query]
    papers = [
        candidate_from(p, featured_on=p.featured_on)
        for p in load_daily_papers_file(args.papers_file).papers
    ]
    papers = list({p.arxiv_id: p for p in papers}.values())
    bm25 = BM25([f"{p.title} {p.abstract}" for p in papers])
    scores = bm25.scores(query["interests"])
    pool = {papers[i].arxiv_id for i in sorted(range(len(papers)), key=lambda i: -scores[i])[:25]}
    edition = prepare_edition(papers, now=as_of(papers))
    for topics in ([], query["topics"]):
        profile = SubscriberProfile(0, query["interests"], topics=topics, k=25)
        pool |= {p.arxiv_id for p in rank_subscribers(edition, [profile])[0].picks}
    for p in papers:
        text = (p.title + " " + " ".join(p.ai_keywords)).lower()
        if any(k in text for k in KEYWORDS[args.query]):
            pool.add(p.arxiv_id)
    print(f"# {query['id']}: {query['interests']} ({len(pool)} papers)")
    for p in papers:
        if p.arxiv_id in pool:
            print(f"{p.arxiv_id} | {p.title} | {p.abstract[:260]}")


if __name__ == "__main__":
    main()
