"""A small archive for the site's tests: a week of featured papers, snapshots, hostile rows,
and the trust issue's hostile corpus as papers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.ingest.curves import refresh_curves
from app.ingest.http import HttpFetcher, RetryPolicy, make_client
from app.ingest.service import ingest_date
from app.ingest.sources.hf_daily import HFDailySource
from app.models import Edition, EditionStatus, Paper, PaperFeature, PaperSnapshot
from tests.hostile.strategies import HOSTILE_URLS as HOSTILE_CORPUS_URLS
from tests.hostile.strategies import PAYLOADS

DAY = date(2025, 11, 27)  # a Thursday
WEEKEND_DAY = date(2025, 11, 29)  # a Saturday: nothing featured
HOSTILE_ID = "2511.66666"

TOPICS = [
    ("Speculative Decoding with Draft Trees for Faster LLM Inference", "speculative decoding"),
    ("GUI Agents that Learn from Screenshots", "GUI agents"),
    ("Scaling Laws for Mixture-of-Experts Vision Transformers", "mixture of experts"),
    ("Diffusion Policies for Robot Manipulation", "robot manipulation"),
    ("Long-Context Retrieval with Learned Sparse Attention", "sparse attention"),
    ("A Benchmark for Multilingual Code Generation", "code generation"),
    ("Reward Models that Explain Themselves", "reward models"),
    ("Efficient Fine-Tuning with Low-Rank Adapters at Scale", "low-rank adapters"),
    ("Video Generation with Consistent Characters", "video generation"),
    ("Protein Structure Prediction with Language Models", "protein structure"),
]

# What an attacker could put in a Daily Papers item: markup in every text, and
# URLs that would run script or leave the site if rendered as links.
HOSTILE_TEXT = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
HOSTILE_URLS = [
    "javascript:alert(document.cookie)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "//evil.example/steal",
    " javascript:alert(1)",
    'https://ok.example/"><script>alert(1)</script>',
]


@dataclass
class Archive:
    papers: list[Paper]
    hostile: Paper


def _snapshots(session: Session, paper: Paper, day: date, final: int) -> None:
    for hour, share in ((6, 0.2), (10, 0.45), (14, 0.7), (20, 0.9), (30, 1.0)):
        session.add(
            PaperSnapshot(
                paper_id=paper.id,
                fetched_at=datetime.combine(day, time(0), tzinfo=UTC) + timedelta(hours=hour),
                upvotes=int(final * share),
                num_comments=0,
            )
        )


def add_archive(session: Session) -> Archive:
    """Ten papers on DAY, five on the day before, one hostile paper on DAY, an edition."""
    papers = []
    for n, (title, keyword) in enumerate(TOPICS * 2):
        day = DAY if n < 10 else DAY - timedelta(days=1)
        if n >= 15:
            break
        paper = Paper(
            arxiv_id=f"2511.{20000 + n}",
            title=title if n < 10 else f"{title}, Revisited",
            abstract=(
                f"We study {keyword} in depth. Our method for {keyword} improves results by a "
                "wide margin on standard benchmarks. Code and models are released."
            ),
            authors=["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"][: 1 + n % 4],
            organization="Example Lab" if n % 2 else None,
            published_at=datetime.combine(day - timedelta(days=1), time(17), tzinfo=UTC),
            upvotes=100 - n * 6,
            num_comments=n % 3,
            github_repo=f"https://github.com/example/repo{n}" if n % 3 == 0 else None,
            github_stars=1234 if n % 3 == 0 else None,
            project_page="https://example.org/project" if n == 1 else None,
            thumbnail=f"https://cdn.example.org/thumb{n}.png" if n % 4 == 0 else None,
            ai_summary=f"A short summary about {keyword}." if n % 2 == 0 else None,
            ai_keywords=[keyword, "benchmark"],
            categories=["cs.CL", "cs.LG"],
            pdf_url=f"https://arxiv.org/pdf/2511.{20000 + n}",
        )
        session.add(paper)
        session.flush()
        session.add(PaperFeature(paper_id=paper.id, featured_on=day))
        _snapshots(session, paper, day, paper.upvotes)
        papers.append(paper)
    hostile = Paper(
        arxiv_id=HOSTILE_ID,
        title=f"Speculative decoding \x0b{HOSTILE_TEXT}",
        abstract=f"An abstract about speculative decoding with {HOSTILE_TEXT} in it.",
        authors=[HOSTILE_TEXT, "Mallory <b>Bold</b>"],
        organization=f"Evil Org {HOSTILE_TEXT}",
        published_at=datetime.combine(DAY, time(1), tzinfo=UTC),
        upvotes=77,
        github_repo=HOSTILE_URLS[0],
        project_page=HOSTILE_URLS[2],
        thumbnail=HOSTILE_URLS[1],
        pdf_url=HOSTILE_URLS[4],
        ai_summary=f"Summary {HOSTILE_TEXT}",
        ai_keywords=[HOSTILE_TEXT, "speculative decoding"],
        categories=[HOSTILE_TEXT],
    )
    session.add(hostile)
    session.flush()
    session.add(PaperFeature(paper_id=hostile.id, featured_on=DAY))
    _snapshots(session, hostile, DAY, 77)
    session.flush()
    refresh_curves(session, [p.id for p in [*papers, hostile]])
    session.add(
        Edition(
            edition_date=DAY,
            status=EditionStatus.FINISHED,
            paper_ids=[p.arxiv_id for p in papers[:10]],
            recipients=0,
        )
    )
    session.flush()
    return Archive(papers, hostile)


# The trust issue's corpus (tests/hostile): every payload as a title, an author, an
# organisation, a summary and a keyword, through the real Daily Papers source and ingest;
# then every hostile URL written straight into the stored rows, as a row stored before
# ingest checked URLs (or by hand) would hold it: the pages must check them again.
TRUST_DAY = date(2025, 11, 25)  # a Tuesday
TRUST_API = "https://hf.test/api/daily_papers"


def trust_id(n: int) -> str:
    return f"2511.{70000 + n}"


def _trust_item(n: int, payload: str) -> dict[str, Any]:
    url = HOSTILE_CORPUS_URLS[n % len(HOSTILE_CORPUS_URLS)]
    return {
        "paper": {
            "id": trust_id(n),
            "title": f"Speculative decoding {n} {payload}",
            "summary": f"An abstract about speculative decoding: {payload}",
            "authors": [{"name": payload}, {"name": f"Mallory {payload}"}],
            "submittedOnDailyAt": f"{TRUST_DAY.isoformat()}T00:00:00.000Z",
            "publishedAt": f"{TRUST_DAY.isoformat()}T01:00:00.000Z",
            "upvotes": 10 + n,
            "githubRepo": url,
            "projectPage": url,
            "ai_summary": f"Summary {payload}",
            "ai_keywords": [payload, "speculative decoding"],
            "organization": {"fullname": f"Org {payload}"},
        },
        "numComments": 1,
        "thumbnail": url,
    }


def add_trust_corpus(session: Session, settings: Settings) -> list[str]:
    """One paper per payload of the trust corpus, featured on TRUST_DAY; their arXiv ids."""
    items = [_trust_item(n, payload) for n, payload in enumerate(PAYLOADS)]

    def handle(request: httpx.Request) -> httpx.Response:
        page = items if request.url.params.get("p") == "0" else []
        return httpx.Response(
            200, content=json.dumps(page), headers={"Content-Type": "application/json"}
        )

    with make_client(settings, transport=httpx.MockTransport(handle)) as client:
        source = HFDailySource(
            HttpFetcher(client, RetryPolicy(attempts=1)),
            api_url=TRUST_API,
            page_url="https://hf.test",
        )
        ingest_date(session, day=TRUST_DAY, sources=[source], enricher=None)
    ids = [trust_id(n) for n in range(len(PAYLOADS))]
    papers = session.scalars(select(Paper).where(Paper.arxiv_id.in_(ids))).all()
    assert len(papers) == len(ids), "the ingest dropped a paper of the trust corpus"
    for n, paper in enumerate(sorted(papers, key=lambda p: p.arxiv_id)):
        urls = HOSTILE_CORPUS_URLS
        paper.github_repo = urls[n % len(urls)][:500]
        paper.project_page = urls[(n + 1) % len(urls)][:500]
        paper.thumbnail = urls[(n + 2) % len(urls)][:500]
        paper.pdf_url = urls[(n + 3) % len(urls)][:500]
        _snapshots(session, paper, TRUST_DAY, 10 + n)
    session.flush()
    return ids


# Beyond the rolling corpus: papers featured long before the archive's days, which only
# the full-text index reaches (the ranker fits on the last 30 days). The corpus gets
# enough papers that a word in one of them is rare (``app.papers.search.RARE_SHARE``).
OLD_DAY = date(2023, 5, 10)
OLD_ZEOLITE = ("2305.01001", "Zeolite Frameworks for Catalysis Screening")
OLD_ZEOLITE_TOO = ("2305.01002", "Learning Zeolite Catalysis from Simulations")
OLD_UNRELATED = ("2305.01003", "Protein Folding with Equivariant Networks")


def add_older_papers(session: Session) -> None:
    def add(arxiv_id: str, title: str, abstract: str, day: date) -> None:
        paper = Paper(
            arxiv_id=arxiv_id,
            title=title,
            abstract=abstract,
            authors=["Marie Curie"],
            published_at=datetime.combine(day - timedelta(days=1), time(9), tzinfo=UTC),
            upvotes=5,
            ai_keywords=[],
        )
        session.add(paper)
        session.flush()
        session.add(PaperFeature(paper_id=paper.id, featured_on=day))

    corpus_day = DAY - timedelta(days=2)
    for n in range(40):
        add(
            f"2511.{21000 + n}",
            f"A Study of Benchmark Tasks, Part {n}",
            "We evaluate models on standard tasks and report the results.",
            corpus_day,
        )
    add(
        "2511.21100",
        "Graph Networks for Zeolite Catalysis",
        "Zeolite catalysis predicted by graph networks.",
        corpus_day,
    )
    for arxiv_id, title in (OLD_ZEOLITE, OLD_ZEOLITE_TOO):
        add(arxiv_id, title, "Zeolite catalysis screened with learned potentials.", OLD_DAY)
    add(*OLD_UNRELATED, "Protein folding predicted with equivariant networks.", OLD_DAY)
    session.flush()
