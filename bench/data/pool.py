"""Print the pool of papers to grade for one judged query (how bench/data was made).

Pool = union of the top ``--depth`` of BM25 over the interest text, the top
``--depth`` of the ranker (interests only, and interests + topics), for the
2025-11 set also the latent (LSA) half alone, and every paper whose title or AI
keywords contain one of the query's shortlist keywords. Papers are printed with
their title and the start of the abstract, for a person to grade 0/1/2.

    python bench/data/pool.py QUERY_ID [--set 2025-09|2025-11] [--papers-file F]
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
from app.ranking import RankingParams, SubscriberProfile, prepare_edition, rank_subscribers
from app.ranking.candidates import as_of, candidate_from

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parents[2] / "shared/data/hf-daily-papers"

# Shortlist keywords (lower case, matched in title + AI keywords): recall aids only.
KEYWORDS_2025_09 = {
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
# The second set (made before any tuning on it): short, specific lists so pools stay small.
KEYWORDS_2025_11 = {
    "rlvr-math": ["rlvr", "verifiable", "math", "grpo", "policy optimization", "reinforcement"],
    "llm-eval": ["benchmark"],
    "quantization": ["quantiz", "low-bit", "fp16", "fp8", "int4", "precision"],
    "sparse-attention": ["sparse attention", "linear attention", "attention"],
    "humanoid": ["humanoid", "locomotion", "whole-body"],
    "world-models": ["world model", "world simulat", "simulator"],
    "video-gen": ["video generation", "video diffusion", "camera control", "motion control"],
    "diffusion-distill": ["distillation", "few-step", "consistency model", "one-step"],
    "3d-gen": ["3d generation", "3d asset", "3d scene", "3d world", "mesh", "text-to-3d"],
    "speech": ["speech", "tts", "audio", "voice", "spoken"],
    "dense-retrieval": ["retrieval", "rerank", "embedding", "colbert"],
    "code-agents": ["software engineering", "coding agent", "program repair", "swe-bench", "code"],
    "safety": ["jailbreak", "safety", "red team", "alignment", "backdoor", "attack"],
    "medical": ["medical", "clinical", "radiology", "surgical", "x-ray", "patient", "hospital"],
}
SETS = {"2025-09": KEYWORDS_2025_09, "2025-11": KEYWORDS_2025_11}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("query")
    parser.add_argument("--set", default="2025-09", choices=sorted(SETS))
    parser.add_argument("--papers-file", type=Path)
    parser.add_argument("--depth", type=int)
    args = parser.parse_args()
    first_set = args.set == "2025-09"
    depth = args.depth or (25 if first_set else 20)
    name = "queries.json" if first_set else f"queries-{args.set}.json"
    queries = {q["id"]: q for q in json.loads((HERE / name).read_text())}
    query = queries[args.query]
    papers_file = args.papers_file or SAMPLES / f"{args.set}.json"
    papers = [
        candidate_from(p, featured_on=p.featured_on)
        for p in load_daily_papers_file(papers_file).papers
    ]
    papers = list({p.arxiv_id: p for p in papers}.values())
    bm25 = BM25([f"{p.title} {p.abstract}" for p in papers])
    scores = bm25.scores(query["interests"])
    order = sorted(range(len(papers)), key=lambda i: -scores[i])
    pool = {papers[i].arxiv_id for i in order[:depth]}
    edition = prepare_edition(papers, now=as_of(papers))
    systems = [([], RankingParams()), (query["topics"], RankingParams())]
    if not first_set:
        systems.append(([], RankingParams(latent_share=1.0)))
    for topics, params in systems:
        profile = SubscriberProfile(0, query["interests"], topics=topics, k=depth)
        pool |= {p.arxiv_id for p in rank_subscribers(edition, [profile], params=params)[0].picks}
    for p in papers:
        text = (p.title + " " + " ".join(p.ai_keywords)).lower()
        if any(k in text for k in SETS[args.set][args.query]):
            pool.add(p.arxiv_id)
    print(f"# {query['id']}: {query['interests']} ({len(pool)} papers)")
    for p in papers:
        if p.arxiv_id in pool:
            print(f"{p.arxiv_id} | {p.title} | {p.abstract[:300]}")


if __name__ == "__main__":
    main()
