"""The public Daily Papers site at scale, and its search quality.

Speed: seeds a separate PostgreSQL database (``bench_site`` on the test server, or
``--database-url``) with 100,000 papers (texts remixed from the shared sample
months, featured ~50 a day over five and a half years) and 30 days of upvote
snapshots (8 a day for every paper featured in that window), then times
``/papers/date/D``, ``/papers/{id}`` and ``/papers/search?q=`` twice with the same
requests: through the ASGI app in this process (TestClient) and over HTTP from a
uvicorn process (what a browser waits for; the server's CPU time per page beside it),
printing median and p95 in milliseconds. Targets: 30, 30, 50 ms.

Quality: loads each judged month (bench/data/: 2025-09 and the held-out 2025-11) into
``bench_site_quality`` with the real ingest store, and compares nDCG@10 of the site's
search (the interest text as the query) with the digest ranker on the same interests
(``bench/relevance.py``'s "ranker" row). Target: within 0.02 on each.

    python bench/site.py [--samples DIR] [--reps 200] [--reuse] [--speed-only | --quality-only]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from admin import _copy, ensure_database
from fastapi.testclient import TestClient
from http_load import free_port, wait_until_serving
from relevance import SETS, JudgedSet, K, ndcg
from sqlalchemy import Engine, text

from app.config import Settings
from app.db import make_engine, make_session_factory, transaction
from app.ingest.curves import refresh_curves
from app.ingest.parse import ParsedPaper, load_daily_papers_file
from app.ingest.store import store_papers
from app.migrations import upgrade_database
from app.papers.search import search
from app.ranking import SubscriberProfile, prepare_edition, rank_subscribers
from app.ranking.candidates import as_of, candidate_from
from app.web.app import create_app

HERE = Path(__file__).resolve().parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_site"
QUALITY_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_site_quality"
SECRET_KEY = "bench-secret-key-that-is-long-enough-0123456789"
SAMPLES = HERE.parents[1] / "shared/data/hf-daily-papers"
PAPERS = 100_000
PER_DAY = 50
SNAPSHOT_DAYS = 30
SNAPSHOTS_PER_DAY = 8
LAST_DAY = date(2025, 11, 28)
SHORT_QUERIES = [
    "diffusion",
    "speculative decoding",
    "GUI agent",
    "reinforcement learning",
    "mixture of experts",
    "video generation",
    "protein",
    "retrieval augmented generation",
    "3D gaussian splatting",
    "text to speech",
    "multimodal reasoning benchmark",
    "robot manipulation",
]


def _sources(samples: Path) -> list[ParsedPaper]:
    papers: dict[str, ParsedPaper] = {}
    for path in sorted(samples.glob("*.json")):
        for paper in load_daily_papers_file(path).papers:
            papers[paper.arxiv_id] = paper
    return list(papers.values())


def seed(engine: Engine, url: str, samples: Path) -> None:
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade_database(url)
    sources = _sources(samples)
    rng = random.Random(7)
    first_day = LAST_DAY - timedelta(days=PAPERS // PER_DAY - 1)
    papers, features, snapshots = [], [], []
    snapshot_start = LAST_DAY - timedelta(days=SNAPSHOT_DAYS - 1)
    end = datetime.combine(LAST_DAY + timedelta(days=1), clock(0), tzinfo=UTC)
    for n in range(PAPERS):
        paper_id = n + 1
        day = first_day + timedelta(days=n // PER_DAY)
        title_of = sources[n % len(sources)]
        body_of = sources[(n * 7 + 3) % len(sources)]
        published = datetime.combine(day - timedelta(days=1), clock(17), tzinfo=UTC)
        upvotes = int(rng.paretovariate(1.2) * 5)
        papers.append(
            (
                paper_id,
                f"{2000 + n // 10000}.{n % 10000:05d}",
                title_of.title,
                body_of.abstract,
                json.dumps(title_of.authors),
                title_of.organization,
                published,
                upvotes,
                rng.randrange(4),
                title_of.github_repo,
                title_of.github_stars,
                title_of.project_page,
                title_of.thumbnail,
                title_of.ai_summary,
                json.dumps(title_of.ai_keywords),
                json.dumps(["cs.CL", "cs.LG"]),
                "cs.CL",
                f"https://arxiv.org/pdf/{2000 + n // 10000}.{n % 10000:05d}",
                published,
                published,
            )
        )
        features.append((paper_id, paper_id, day, published))
        if day >= snapshot_start:
            at = datetime.combine(day, clock(0), tzinfo=UTC) + timedelta(hours=1)
            step = timedelta(hours=24 / SNAPSHOTS_PER_DAY)
            votes = 0
            while at < end:
                votes = min(upvotes, votes + rng.randrange(0, max(2, upvotes // 6)))
                snapshots.append((paper_id, at, votes, 0))
                at += step
    _copy(
        engine,
        "paper",
        [
            "id", "arxiv_id", "title", "abstract", "authors", "organization", "published_at",
            "upvotes", "num_comments", "github_repo", "github_stars", "project_page", "thumbnail",
            "ai_summary", "ai_keywords", "categories", "primary_category", "pdf_url",
            "created_at", "updated_at",
        ],
        papers,
    )  # fmt: skip
    _copy(engine, "paper_feature", ["id", "paper_id", "featured_on", "created_at"], features)
    _copy(
        engine, "paper_snapshot", ["paper_id", "fetched_at", "upvotes", "num_comments"], snapshots
    )
    with engine.begin() as connection:
        connection.execute(text("SELECT setval('paper_id_seq', (SELECT max(id) FROM paper))"))
    # The featured days' upvote curves, as ingest writes them beside its snapshots.
    curves_started = time.perf_counter()
    with transaction(make_session_factory(engine)) as session:
        written = refresh_curves(session, {paper_id for paper_id, *_ in snapshots})
    took = time.perf_counter() - curves_started
    print(f"upvote curves of {written:,} featured days in {took:.1f} s")
    # As autovacuum leaves a bulk load in production (the test server runs without it):
    # statistics fresh, the visibility map set. VACUUM runs outside a transaction.
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    print(
        f"seeded {len(papers):,} papers, {len(snapshots):,} snapshots "
        f"in {time.perf_counter() - started:.0f} s"
    )


def _p95(samples: list[float]) -> float:
    samples = sorted(samples)
    return samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


def timed(
    get: Callable[[str], httpx.Response], paths: Callable[[], str], reps: int
) -> tuple[float, float, float, float]:
    """Median and p95 of wall-clock time, and of this process's CPU time, in ms.

    The CPU figures leave out the database server and time spent waiting for a core:
    on a shared machine they say what the page costs when the machine is not busy.
    """
    wall, cpu = [], []
    for _ in range(reps):
        path = paths()
        started, started_cpu = time.perf_counter(), time.process_time()
        response = get(path)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return statistics.median(wall), _p95(wall), statistics.median(cpu), _p95(cpu)


def _process_cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def served(url: str) -> Iterator[tuple[str, int]]:
    """The app under uvicorn (one process, as ``paperboy run`` serves it), on a free port:
    its base URL and process id. Visitors meet the page this way; the test client runs
    the app in this process, on a portal thread, for ~3 ms a request of its own."""
    port = free_port()
    scratch = tempfile.TemporaryDirectory(prefix="paperboy-site-")
    workdir = Path(scratch.name)
    env = {
        **os.environ,
        "PYTHONPATH": str(HERE.parent),
        "PAPERBOY_DATABASE_URL": url,
        "PAPERBOY_SECRET_KEY": SECRET_KEY,
        "PAPERBOY_BASE_URL": "http://bench.example",
        "PAPERBOY_VAR_DIR": str(workdir / "var"),
    }
    command = [sys.executable, "-m", "uvicorn", "app.web.app:create_app", "--factory"]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    server = subprocess.Popen(command, env=env, cwd=workdir)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, server)
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)
        scratch.cleanup()


def speed(url: str, samples: Path, reps: int, reuse: bool) -> None:
    ensure_database(url)
    engine = make_engine(url)
    if not reuse:
        seed(engine, url, samples)
    settings = Settings(
        var_dir=Path(tempfile.mkdtemp()),
        database_url=url,
        secret_key=SECRET_KEY,
        base_url="http://bench.example",
    )
    days = [LAST_DAY - timedelta(days=n) for n in range(SNAPSHOT_DAYS)]
    arxiv_ids = [f"{2000 + n // 10000}.{n % 10000:05d}" for n in range(PAPERS)]
    queries = [q["interests"] for q in json.loads((HERE / "data/queries.json").read_text())]
    queries += SHORT_QUERIES

    def pages(rng: random.Random) -> list[tuple[str, Callable[[], str], float]]:
        return [
            ("/papers/date/D (last 30 days)", lambda: f"/papers/date/{rng.choice(days)}", 30),
            ("/papers/{id} (any of 100,000)", lambda: f"/papers/{rng.choice(arxiv_ids)}", 30),
            ("/papers/search?q=...", lambda: "/papers/search?q=" + rng.choice(queries), 50),
            ("/papers/week/W", lambda: f"/papers/week/{rng.choice(days):%G-W%V}", 0),
            ("/papers/feed.atom", lambda: "/papers/feed.atom", 0),
        ]

    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"this machine's speed: {_python_loop_ms():.0f} ms for a fixed Python loop")
    # The same requests both ways: through the test client in this process, and over
    # HTTP from a uvicorn process (what a visitor's browser waits for).
    with TestClient(create_app(settings, engine=engine)) as client:
        started = time.perf_counter()
        client.get("/papers/search?q=warm+up")
        print(
            f"first search (fits the ranker on the rolling corpus): "
            f"{time.perf_counter() - started:.2f} s"
        )
        print(
            f"\nin process (TestClient) {'median ms':>21} {'p95 ms':>8} {'cpu med':>8} "
            f"{'cpu p95':>8} {'target':>7}   ({reps} reps)"
        )
        for name, path, target in pages(random.Random(1)):
            timed(client.get, path, 5)
            median, p95, cpu_median, cpu_p95 = timed(client.get, path, reps)
            print(
                f"{name:34} {median:10.1f} {p95:8.1f} {cpu_median:8.1f} {cpu_p95:8.1f} "
                f"{_goal(target, p95)}"
            )
    engine.dispose()
    with served(url) as (base, pid), httpx.Client(base_url=base, timeout=60) as http:
        http.get("/papers/search?q=warm+up")
        print(
            f"\nover HTTP (uvicorn) {'median ms':>25} {'p95 ms':>8} {'server cpu':>17} "
            f"{'target':>7}"
        )
        for name, path, target in pages(random.Random(1)):
            timed(http.get, path, 5)
            cpu_before = _process_cpu_seconds(pid)
            median, p95, _, _ = timed(http.get, path, reps)
            server_cpu = (_process_cpu_seconds(pid) - cpu_before) / reps * 1000
            print(
                f"{name:34} {median:10.1f} {p95:8.1f} {server_cpu:8.1f} mean   {_goal(target, p95)}"
            )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"this machine's speed: {_python_loop_ms():.0f} ms for the same loop")


def _python_loop_ms() -> float:
    """The best of three runs of a fixed pure-Python loop, in ms: a yardstick to compare
    sittings on machines whose speed differs, and a spell of one machine from another."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for n in range(3_000_000):
            total += n * n
        best = min(best, (time.perf_counter() - started) * 1000)
    return best


def _goal(target: float, p95: float) -> str:
    goal = f"{target:7.0f}" if target else f"{'-':>7}"
    return goal + ("  ABOVE TARGET" if target and p95 > target else "")


def quality(samples: Path) -> None:
    """nDCG@10 of the site's search against the digest ranker on both judged sets."""
    for judged in SETS:
        quality_of(judged, samples)


def quality_of(judged: JudgedSet, samples: Path) -> None:
    parsed = load_daily_papers_file(samples / f"{judged.month}.json").papers
    papers = list(
        {p.arxiv_id: candidate_from(p, featured_on=p.featured_on) for p in parsed}.values()
    )
    now = as_of(papers)
    queries = json.loads((HERE / "data" / judged.queries).read_text())
    judgments: dict[str, dict[str, int]] = json.loads(
        (HERE / "data" / judged.judgments).read_text()
    )

    ensure_database(QUALITY_URL)
    engine = make_engine(QUALITY_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade_database(QUALITY_URL)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        store_papers(session, parsed, fetched_at=now)

    # The digest ranker exactly as bench/relevance.py's "ranker" row; the search page as
    # a visitor gets it (its own number of results).
    edition = prepare_edition(papers, now=now)
    rows: dict[str, list[float]] = {"digest ranker": [], "site search": []}
    for query in queries:
        grades = judgments[query["id"]]
        digest = rank_subscribers(edition, [SubscriberProfile(0, query["interests"], k=K)])[0]
        rows["digest ranker"].append(ndcg([p.arxiv_id for p in digest.picks], grades))
        with transaction(factory) as session:
            results = search(session, query["interests"], period="all", now=now)
        rows["site search"].append(ndcg([c.arxiv_id for c in results.cards], grades))
    print(
        f"\nsearch quality, {judged.month} ({judged.note}): {len(queries)} judged interests, "
        f"{len(papers)} papers"
    )
    print(f"{'method':20} {'nDCG@' + str(K):>8}   per query")
    for name, values in rows.items():
        per_query = " ".join(f"{v:.2f}" for v in values)
        print(f"{name:20} {statistics.mean(values):8.3f}   {per_query}")
    gap = statistics.mean(rows["digest ranker"]) - statistics.mean(rows["site search"])
    print(f"gap (digest - search): {gap:+.3f} (target: within 0.02)")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--samples", type=Path, default=SAMPLES)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--quality-only", action="store_true")
    only.add_argument("--speed-only", action="store_true")
    args = parser.parse_args()
    if not args.speed_only:
        quality(args.samples)
    if not args.quality_only:
        speed(args.database_url, args.samples, args.reps, args.reuse)


if __name__ == "__main__":
    main()
