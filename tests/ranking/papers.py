"""A small hand-written edition for ranking tests: three clear themes plus noise."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.ranking.candidates import CandidatePaper

NOW = datetime(2025, 9, 30, 12, 0, tzinfo=UTC)
TODAY = date(2025, 9, 30)


def paper(
    arxiv_id: str, title: str, abstract: str, *, upvotes: int = 10, keywords: tuple[str, ...] = ()
) -> CandidatePaper:
    return CandidatePaper(
        arxiv_id=arxiv_id,
        title=title,
        abstract=abstract,
        ai_keywords=list(keywords),
        upvotes=upvotes,
        featured_on=TODAY,
    )


EDITION = [
    paper(
        "2509.00001",
        "Faster Speculative Decoding with Tree Drafts",
        "We accelerate large language model inference with speculative decoding: a small "
        "draft model proposes tokens that the target model verifies in parallel.",
        upvotes=40,
        keywords=("speculative decoding", "draft model", "inference acceleration"),
    ),
    paper(
        "2509.00002",
        "Speculative Decoding Without a Draft Model",
        "Self-speculative decoding reuses early layers as the drafter, speeding up inference "
        "of language models with no extra parameters.",
        upvotes=12,
        keywords=("speculative decoding", "early exit"),
    ),
    paper(
        "2509.00003",
        "KV Cache Compression for Long Context Inference",
        "Compressing the key-value cache lets language models serve long contexts with "
        "less memory during inference.",
        upvotes=25,
        keywords=("kv cache", "compression", "long context"),
    ),
    paper(
        "2509.00004",
        "Diffusion Transformers for Long Video Generation",
        "A video diffusion model generates minute-long videos with consistent motion using "
        "a diffusion transformer and temporal attention.",
        upvotes=90,
        keywords=("video generation", "diffusion transformer"),
    ),
    paper(
        "2509.00005",
        "Camera Control in Text-to-Video Diffusion",
        "We add camera control to text-to-video diffusion models so users steer the "
        "viewpoint of generated video.",
        upvotes=30,
        keywords=("video diffusion", "camera control"),
    ),
    paper(
        "2509.00006",
        "Robot Manipulation with Vision-Language-Action Models",
        "A vision-language-action model learns robot manipulation policies from "
        "demonstrations and transfers from simulation to real robots.",
        upvotes=15,
        keywords=("robot manipulation", "vision-language-action", "sim-to-real"),
    ),
    paper(
        "2509.00007",
        "Imitation Learning for Humanoid Robots",
        "Humanoid robots learn whole-body skills by imitation learning from human video.",
        upvotes=8,
        keywords=("humanoid", "imitation learning", "robot"),
    ),
    paper(
        "2509.00008",
        "A Benchmark of Tabular Question Answering",
        "We release a benchmark of questions over spreadsheets and tables.",
        upvotes=120,
        keywords=("tabular data", "benchmark"),
    ),
    paper(
        "2509.00009",
        "Protein Structure Prediction at Scale",
        "Protein folding models predict structures of enzymes and antibodies.",
        upvotes=60,
        keywords=("protein structure",),
    ),
]
