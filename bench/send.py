"""Send throughput, end to end: PostgreSQL + Redis + Celery (2 worker processes) into a sink.

    python bench/send.py --subscribers 100000

Builds a fresh ``bench_send`` database (100k active subscribers, a day of 30
papers), starts bench/smtp_sink.py and one Celery worker with two prefork
processes, fans the edition out and waits until it is finished. Prints:
digests/s end to end, time per stage (claim, rank, render, send, record, summed
over the worker processes from their logs), peak RSS per worker process, the
raw ceiling (one pre-rendered digest sent with smtplib over one connection to
the same sink, before and after the runs) and the ratio between the two.

Variants run side by side in one run against the same sink and ceiling:
``--record-every 1,250`` (each message recorded as it is accepted vs one write
per batch of 250), ``--compare DIR`` (the worker running another checkout's
code, e.g. a worktree of the commit before a change).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from celery import Celery  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from app.config import Settings  # noqa: E402
from app.db import make_engine, make_session_factory, transaction  # noqa: E402
from app.editions.digests import build_kit, prepare_digests  # noqa: E402
from app.editions.progress import edition_progress  # noqa: E402
from app.editions.service import open_edition  # noqa: E402
from app.mailer.compose import Composer  # noqa: E402
from app.migrations import upgrade_database  # noqa: E402
from app.models import Paper, PaperFeature, Subscriber  # noqa: E402

DAY = date(2025, 11, 27)
CELERY = Path(sys.executable).parent / "celery"
INTERESTS = [
    "speculative decoding, LLM inference",
    "GUI agents",
    "",
    "diffusion models, video generation",
    "reinforcement learning from human feedback",
    "retrieval augmented generation",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def fresh_database(server_url: str, name: str) -> str:
    admin = create_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = f"{server_url}/{name}"
    upgrade_database(url)
    return url


def populate(url: str, subscribers: int, papers: int) -> None:
    add_papers(url, papers)
    engine = make_engine(url)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        now = datetime.now(UTC).isoformat()
        buffer = io.StringIO()
        for n in range(subscribers):
            interests = INTERESTS[n % len(INTERESTS)]
            buffer.write(
                f"reader{n:06d}@bench.example\tactive\t{interests}\t[]\t[]\tdaily\t0\t7\tUTC\t1"
                f"\t{now}\t{now}\n"
            )
        buffer.seek(0)
        columns = (
            "email, status, interests, topics, seed_papers, frequency, weekly_day, send_hour,"
            " timezone, token_version, created_at, updated_at"
        )
        with cursor.copy(f"COPY subscriber ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            copy.write(buffer.read())
        raw.commit()
    finally:
        raw.close()
    engine.dispose()


def add_papers(url: str, papers: int) -> None:
    """``papers`` papers featured on DAY (the edition's candidates)."""
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        for n in range(papers):
            paper = Paper(
                arxiv_id=f"2511.{10000 + n}",
                title=f"Paper {n}: speculative decoding, GUI agents and diffusion models at scale",
                abstract="We propose a method. " * 30,
                authors=[f"Author {i}" for i in range(6)],
                organization="Example Lab",
                upvotes=300 - n * 7,
                github_repo=f"https://github.com/example/repo{n}",
                github_stars=1000 + n,
                ai_summary="A method that makes large models faster and cheaper to run, "
                "with careful experiments on standard benchmarks.",
                pdf_url=f"https://arxiv.org/pdf/2511.{10000 + n}",
                published_at=datetime(2025, 11, 26, tzinfo=UTC),
            )
            session.add(paper)
            session.flush()
            session.add(PaperFeature(paper_id=paper.id, featured_on=DAY))
    engine.dispose()


def raw_ceiling(settings: Settings, url: str, port: int, count: int) -> float:
    """Messages per second for one pre-rendered digest over one smtplib connection."""
    engine = make_engine(url)
    with transaction(make_session_factory(engine)) as session:
        paper_ids = [f"2511.{10000 + n}" for n in range(30)]
        kit = build_kit(session, paper_ids=paper_ids, edition_date=DAY, settings=settings)
        subscriber = session.get_one(Subscriber, 1)
        [digest] = prepare_digests(session, kit=kit, subscribers=[subscriber], settings=settings)
    engine.dispose()
    rendered = kit.renderer.render(
        digest.reader, digest.items, lambda i, k: f"{settings.base_url}/c/x{i}{k}"
    )
    composer = Composer(settings)
    message = composer.compose(
        rendered,
        to="r@bench.example",
        unsubscribe_url=digest.reader.unsubscribe_url,
        message_id=composer.message_id(0),
    )
    print(
        f"digest size: {len(message.data) / 1024:.1f} KiB"
        f" (HTML {len(rendered.html) / 1024:.1f} KiB)"
    )
    connection = smtplib.SMTP("127.0.0.1", port)
    started = time.perf_counter()
    for _ in range(count):
        connection.sendmail(message.sender, ["r@bench.example"], message.data)
    elapsed = time.perf_counter() - started
    connection.quit()
    return count / elapsed


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--papers", type=int, default=30)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="bench_send")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/4")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--batch", type=int, default=250)
    parser.add_argument("--ceiling-messages", type=int, default=20_000)
    parser.add_argument(
        "--record-every",
        type=lambda v: [int(n) for n in v.split(",")],
        default=[1],
        help="SEND_RECORD_EVERY values to run side by side, e.g. 1,250 (250: one write per batch)",
    )
    parser.add_argument(
        "--compare",
        action="append",
        default=[],
        help="another checkout (e.g. a worktree of an older commit) run beside; repeatable",
    )
    args = parser.parse_args()

    print(f"== setting up {args.database}: {args.subscribers} subscribers, {args.papers} papers")
    url = fresh_database(args.pg, args.database)
    populate(url, args.subscribers, args.papers)
    port = free_port()
    sink = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "smtp_sink.py"),
            "--port",
            str(port),
            "--seconds",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout is not None
    sink.stdout.readline()
    env_settings = {
        "PAPERBOY_DATABASE_URL": url,
        "PAPERBOY_BROKER_URL": args.redis,
        "PAPERBOY_MAIL_URL": f"smtp://127.0.0.1:{port}",
        "PAPERBOY_SECRET_KEY": "bench-secret-key-0123456789-0123456789",
        "PAPERBOY_BASE_URL": "https://paperboy.example.org",
        "PAPERBOY_FROM_ADDRESS": "Paperboy <digest@paperboy.example.org>",
        "PAPERBOY_SEND_CHUNK_SIZE": str(args.chunk),
        "PAPERBOY_SEND_BATCH_SIZE": str(args.batch),
        "PAPERBOY_VAR_DIR": "/tmp/paperboy-bench-var",
    }
    settings = Settings(
        database_url=url,
        broker_url=args.redis,
        mail_url=env_settings["PAPERBOY_MAIL_URL"],
        secret_key=env_settings["PAPERBOY_SECRET_KEY"],
        base_url=env_settings["PAPERBOY_BASE_URL"],
        from_address=env_settings["PAPERBOY_FROM_ADDRESS"],
        send_chunk_size=args.chunk,
        send_batch_size=args.batch,
        var_dir=Path("/tmp/paperboy-bench-var"),
    )
    variants = [
        (f"record every {n}", ROOT, {"PAPERBOY_SEND_RECORD_EVERY": str(n)})
        for n in args.record_every
    ]
    for other in args.compare:
        variants.append((f"code at {other}", Path(other).resolve(), {}))
    try:
        ceiling = raw_ceiling(settings, url, port, args.ceiling_messages)
        print(f"raw ceiling (pre-rendered, smtplib, one connection): {ceiling:,.0f} msg/s")
        rows = []
        for label, code, extra in variants:
            print(f"== {label}")
            rate, cpu_us = run_send(args, settings, url, {**env_settings, **extra}, code)
            rows.append((label, rate, cpu_us))
        after = raw_ceiling(settings, url, port, args.ceiling_messages)
        print(f"raw ceiling again after the runs: {after:,.0f} msg/s")
        mean_ceiling = (ceiling + after) / 2
        print("\nside by side (same run, same sink, mean of the two ceilings):")
        for label, rate, cpu_us in rows:
            print(
                f"  {label:<40} {rate:>8,.0f} digests/s  ratio {rate / mean_ceiling:.2f}"
                f"  worker CPU {cpu_us:,.0f} µs/digest"
            )
    finally:
        sink.send_signal(signal.SIGTERM)
        out, _ = sink.communicate(timeout=30)
        print(f"sink {out.strip().splitlines()[-1]} (raw ceiling runs included)")


def run_send(
    args: argparse.Namespace, settings: Settings, url: str, env: dict[str, str], code: Path
) -> tuple[float, float]:
    """Fan out a fresh edition, let one worker (running ``code``) send it.

    Returns digests/s and the worker processes' CPU µs per digest.
    """
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM delivery"))
        connection.execute(text("DELETE FROM edition"))
    log_path = Path("/tmp/paperboy-bench-worker.log")
    redis.Redis.from_url(args.redis).flushdb()
    log = log_path.open("wb")
    worker = subprocess.Popen(
        [
            str(CELERY),
            "-A",
            "workers.celery_app",
            "worker",
            "--pool",
            "prefork",
            "-c",
            str(args.processes),
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=code,
        env={**os.environ, "PYTHONPATH": str(code), **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        time.sleep(4)  # let the pool fork and connect
        broker = Celery("bench", broker=args.redis)
        factory = make_session_factory(engine)
        started = time.perf_counter()
        with transaction(factory) as session:
            edition, chunks = open_edition(session, edition_date=DAY, settings=settings)
        fan_out = time.perf_counter() - started
        for chunk in chunks:
            broker.send_task("editions.send_chunk", args=[edition.id, chunk])
        enqueued = time.perf_counter() - started
        peak: dict[int, float] = defaultdict(float)
        cpu: dict[int, float] = defaultdict(float)
        while True:
            for pid in children(worker.pid):
                peak[pid] = max(peak[pid], rss_mib(pid))
                cpu[pid] = max(cpu[pid], cpu_seconds(pid))
            with transaction(factory) as session:
                progress = edition_progress(session, edition_id=edition.id)
            if progress.finished:
                break
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        engine.dispose()
    recipients = progress.counts.recipients
    print(
        f"fan-out of {recipients:,} deliveries: {fan_out:.2f}s; "
        f"enqueue {len(chunks)} chunks: {enqueued - fan_out:.2f}s"
    )
    print(
        f"end to end: {recipients:,} digests in {elapsed:.1f}s = "
        f"{recipients / elapsed:,.0f} digests/s "
        f"(sent {progress.counts.sent}, failed {progress.counts.failed})"
    )
    print("peak RSS per worker process: " + ", ".join(f"{m:.0f} MiB" for m in peak.values()))
    worker_cpu = sum(cpu.values())
    print(
        f"worker CPU: {worker_cpu:.1f}s = {worker_cpu / max(recipients, 1) * 1e6:,.0f} µs/digest "
        "(both processes, idle polling included)"
    )
    stages: dict[str, float] = defaultdict(float)
    pattern = re.compile(r"(claim|rank|render|send|record)=([\d.]+)s")
    for line in log_path.read_text(errors="replace").splitlines():
        if "chunk of" in line:
            for stage, seconds in pattern.findall(line):
                stages[stage] += float(seconds)
    total = sum(stages.values()) or 1.0
    print(
        "time per stage (summed over worker processes): "
        + ", ".join(
            f"{stage} {seconds:.1f}s ({seconds / total:.0%}, "
            f"{seconds / max(recipients, 1) * 1e6:.0f} µs/msg)"
            for stage, seconds in stages.items()
        )
    )
    return recipients / elapsed, worker_cpu / max(recipients, 1) * 1e6


if __name__ == "__main__":
    main()
