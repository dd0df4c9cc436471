"""One machine, a growing audience: each stage's cost at 100k and at 1M subscribers.

    python bench/scale.py [--sizes 100000 1000000] [--send-sizes 100000] [--send-budget 300]

For each size, on a fresh PostgreSQL database (``bench_scale``):

1. import: a generated CSV through the real ``paperboy subscribers import``
   (a child process; its own peak RSS);
2. fan-out: ``open_edition`` for a day of 30 papers (one delivery row per reader);
3. send: one Celery worker with two prefork processes into bench/smtp_sink.py,
   with the smtplib ceiling measured in the same run (as bench/send.py);
4. admin pages through the ASGI app: the overview, the edition page and its
   progress JSON viewed once a second *while the send runs* (p95 over those
   views), then every page after it (overview, subscriber search, the edition
   page; median and p95 over ``--reps``).

Prints each stage's time, rows/s and peak RSS, then the ratio of rates between
the largest and the smallest size (1.0 = a straight line).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import random
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import admin as admin_bench  # noqa: E402
import redis  # noqa: E402
import send as send_bench  # noqa: E402
from celery import Celery  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, select  # noqa: E402

from app.admin.auth import create_admin_user  # noqa: E402
from app.admin.refresh import refresh_dashboard  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import make_engine, make_session_factory, transaction  # noqa: E402
from app.editions.progress import edition_progress  # noqa: E402
from app.editions.service import open_edition  # noqa: E402
from app.models import AdminUser  # noqa: E402
from app.web.app import create_app  # noqa: E402
from app.wording import plural  # noqa: E402

PAPERBOY = Path(sys.executable).parent / "paperboy"
TOPICS = ["llm", "rl;agents", "", "vision;generative-media", "efficiency", "reasoning"]
ZONES = ["UTC", "Europe/London", "America/New_York", "Asia/Tokyo", "Europe/Paris"]
INTERESTS = send_bench.INTERESTS
PASSWORD = "bench password 123"


@dataclass
class Stage:
    name: str
    seconds: float
    rows: int
    peak_rss_mib: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def write_csv(path: Path, count: int) -> None:
    rng = random.Random(13)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "interests", "topics", "frequency", "send_hour", "timezone"])
        for n in range(count):
            writer.writerow(
                [
                    f"reader{n:07d}@list{n % 211}.example.org",
                    INTERESTS[n % len(INTERESTS)],
                    TOPICS[n % len(TOPICS)],
                    "daily",
                    rng.randrange(24),
                    ZONES[n % len(ZONES)],
                ]
            )


def run_import(url: str, csv_path: Path, rows: int) -> Stage:
    env = {**os.environ, "PAPERBOY_DATABASE_URL": url, "PAPERBOY_VAR_DIR": "/tmp/paperboy-scale"}
    started = time.perf_counter()
    child = subprocess.Popen(
        [str(PAPERBOY), "subscribers", "import", str(csv_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    # The child's own high-water mark, read while it runs: wait4's ru_maxrss also
    # counts the pages it shared with this (large) process between fork and exec.
    peak_kib = 0
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        peak_kib = max(peak_kib, high_water_kib(child.pid))
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    assert child.stdout is not None
    summary = child.stdout.read().strip()
    child.stdout.close()
    assert os.waitstatus_to_exitcode(status) == 0, summary
    assert f"Imported {plural(rows, 'subscriber')} from" in summary, summary
    cpu = usage.ru_utime + usage.ru_stime
    # CPU seconds of the importing process hardly depend on what else the machine runs.
    note = f"{cpu:.1f} CPU s in the CLI = {rows / cpu:,.0f} rows per CPU second"
    return Stage("import (CLI, incl. start-up)", seconds, rows, peak_kib / 1024, note)


def high_water_kib(pid: int) -> int:
    """``VmHWM`` of a running process (0 once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(found[1]) if found else 0


def self_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def start_worker(env: dict[str, str], processes: int, log_path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(send_bench.CELERY),
            "-A",
            "workers.celery_app",
            "worker",
            "--pool",
            "prefork",
            "-c",
            str(processes),
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@contextlib.contextmanager
def signed_in(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """A test client of the app, signed in as the bench's admin (created if missing)."""
    with transaction(make_session_factory(engine)) as session:
        if session.scalar(select(AdminUser).where(AdminUser.email == "bench@example.org")) is None:
            create_admin_user(session, email="bench@example.org", password=PASSWORD)
    # The test client speaks plain http, so the session cookie must not be Secure.
    local = settings.model_copy(update={"base_url": "http://testserver"})
    with TestClient(create_app(local, engine), follow_redirects=False) as client:
        login = client.get("/admin/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', login)
        assert token
        signed_in = client.post(
            "/admin/login",
            data={"email": "bench@example.org", "password": PASSWORD, "csrf_token": token[1]},
        )
        assert signed_in.status_code == 303, signed_in.text
        yield client


def pages_of(edition_id: int) -> dict[str, str]:
    return {
        "admin overview": "/admin",
        "admin subscriber search": "/admin/subscribers?q=reader00421",
        "admin search + status": "/admin/subscribers?q=reader004&status=active",
        "admin subscribers, newest": "/admin/subscribers",
        "admin edition page": f"/admin/editions/{edition_id}",
        "admin edition progress": f"/admin/api/editions/{edition_id}/progress",
    }


WHILE_SENDING = ("admin overview", "admin edition page", "admin edition progress")


def p95_stage(name: str, samples: list[float]) -> Stage:
    """A page's stage: its p95 in seconds (samples in ms), the median in the note."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    note = f"median {statistics.median(ordered):.0f} ms over {len(ordered)} views"
    return Stage(name, p95 / 1000, 1, self_peak_mib(), note=note)


def admin_pages(settings: Settings, url: str, edition_id: int, reps: int) -> list[Stage]:
    engine = make_engine(url)
    started = time.perf_counter()
    with transaction(make_session_factory(engine)) as session:
        refresh_dashboard(session)
    refreshed = time.perf_counter() - started
    stages = [Stage("admin.refresh_dashboard job", refreshed, 1, self_peak_mib())]
    with signed_in(settings, engine) as client:
        for name, path in pages_of(edition_id).items():
            median, p95, _ = admin_bench.timed(client, path, reps)
            stages.append(
                Stage(name, p95 / 1000, 1, self_peak_mib(), note=f"median {median:.0f} ms")
            )
    engine.dispose()
    return stages


def one_size(args: argparse.Namespace, size: int, work: Path) -> list[Stage]:
    print(f"\n== {size:,} subscribers", flush=True)
    csv_path = work / f"readers-{size}.csv"
    if not csv_path.exists():
        write_csv(csv_path, size)
    url = send_bench.fresh_database(args.pg, args.database)
    send_bench.add_papers(url, 30)
    stages = [run_import(url, csv_path, size)]
    print(f"  import: {stages[-1].seconds:.1f} s", flush=True)

    port = send_bench.free_port()
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
    env = {
        "PAPERBOY_DATABASE_URL": url,
        "PAPERBOY_BROKER_URL": args.redis,
        "PAPERBOY_MAIL_URL": f"smtp://127.0.0.1:{port}",
        "PAPERBOY_SECRET_KEY": "bench-secret-key-0123456789-0123456789",
        "PAPERBOY_BASE_URL": "https://paperboy.example.org",
        "PAPERBOY_FROM_ADDRESS": "Paperboy <digest@paperboy.example.org>",
        "PAPERBOY_SEND_CHUNK_SIZE": "500",
        "PAPERBOY_SEND_BATCH_SIZE": "250",
        "PAPERBOY_VAR_DIR": "/tmp/paperboy-scale",
    }
    settings = Settings(
        database_url=url,
        broker_url=args.redis,
        mail_url=env["PAPERBOY_MAIL_URL"],
        secret_key=env["PAPERBOY_SECRET_KEY"],
        base_url=env["PAPERBOY_BASE_URL"],
        from_address=env["PAPERBOY_FROM_ADDRESS"],
        send_chunk_size=500,
        send_batch_size=250,
        var_dir=Path("/tmp/paperboy-scale"),
    )
    worker = None
    log_path = work / f"worker-{size}.log"
    try:
        ceiling = send_bench.raw_ceiling(settings, url, port, args.ceiling_messages)
        redis.Redis.from_url(args.redis).flushdb()
        if args.send_sizes is None or size in args.send_sizes:
            worker = start_worker(env, args.processes, log_path)
            time.sleep(4)  # let the pool fork and connect
        engine = make_engine(url)
        factory = make_session_factory(engine)
        before = self_peak_mib()
        started = time.perf_counter()
        with transaction(factory) as session:
            edition, chunks = open_edition(session, edition_date=send_bench.DAY, settings=settings)
            edition_id = edition.id
        fanned = time.perf_counter() - started
        with transaction(factory) as session:
            recipients = edition_progress(session, edition_id=edition_id).counts.recipients
        stages.append(
            Stage(
                "fan-out (deliveries)",
                fanned,
                recipients,
                self_peak_mib(),
                note=f"bench process peak grew {self_peak_mib() - before:.0f} MiB",
            )
        )
        print(f"  fan-out: {fanned:.1f} s", flush=True)
        if worker is not None:
            broker = Celery("bench", broker=args.redis)
            started = time.perf_counter()
            for chunk in chunks:
                broker.send_task("editions.send_chunk", args=[edition_id, chunk])
            del chunks
            peak: dict[int, float] = defaultdict(float)
            # The pages that show a send in flight, viewed while it runs (one view
            # of each per poll, as an open edition page polls its progress).
            during: dict[str, list[float]] = defaultdict(list)
            stopped = False
            polls = 0
            with signed_in(settings, engine) as client:
                while True:
                    for pid in send_bench.children(worker.pid):
                        peak[pid] = max(peak[pid], send_bench.rss_mib(pid))
                    with transaction(factory) as session:
                        progress = edition_progress(session, edition_id=edition_id)
                    if progress.finished:
                        break
                    if args.send_budget and time.perf_counter() - started > args.send_budget:
                        stopped = True  # the rate so far; the worker is stopped below
                        break
                    # Every few seconds, not every poll: on two cores the pages'
                    # own CPU would otherwise be taken from the workers.
                    if polls % args.page_every == 0:
                        for name in WHILE_SENDING:
                            begin = time.perf_counter()
                            response = client.get(pages_of(edition_id)[name])
                            during[name].append((time.perf_counter() - begin) * 1000)
                            assert response.status_code == 200, (name, response.status_code)
                    polls += 1
                    time.sleep(1)
            sent_in = time.perf_counter() - started
            done = progress.counts.done
            rate = (done if stopped else recipients) / sent_in
            stages.append(
                Stage(
                    "send (2 worker processes)",
                    sent_in,
                    done if stopped else recipients,
                    max(peak.values(), default=0.0),
                    note=f"sent {progress.counts.sent}, failed {progress.counts.failed}; "
                    f"{rate / ceiling:.2f} of smtplib's {ceiling:,.0f}/s"
                    + (f"; stopped at the {args.send_budget:.0f} s budget" if stopped else ""),
                )
            )
            if stopped:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(timeout=120)
                worker = None
            print(f"  send: {sent_in:.1f} s", flush=True)
            stages.extend(
                p95_stage(f"{name} (sending)", samples)
                for name, samples in during.items()
                if samples
            )
        stages.extend(admin_pages(settings, url, edition_id, args.reps))
        engine.dispose()
    finally:
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=120)
        sink.send_signal(signal.SIGTERM)
        sink.communicate(timeout=30)
    for stage in stages:
        print(
            f"  {stage.name:30} {stage.seconds:9.3f} s {stage.rate:12,.0f} /s "
            f"{stage.peak_rss_mib:7.0f} MiB  {stage.note}",
            flush=True,
        )
    return stages


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="bench_scale")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--ceiling-messages", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument(
        "--send-sizes",
        type=int,
        nargs="*",
        help="send only at these sizes (default: every size); the others fan out only",
    )
    parser.add_argument(
        "--send-budget",
        type=float,
        default=0.0,
        help="stop a send after this many seconds and report its rate so far (0: to the end)",
    )
    parser.add_argument(
        "--page-every",
        type=int,
        default=5,
        help="view the in-flight pages every N progress polls (one poll a second)",
    )
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "scale")
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)

    results = {size: one_size(args, size, args.work_dir) for size in args.sizes}
    small, large = min(results), max(results)
    if small == large:
        return
    print(f"\n== {large:,} against {small:,} (rate ratio 1.0 = a straight line)")
    print(f"  {'stage':30} {'small':>14} {'large':>14} {'ratio':>7}")
    large_stages = {stage.name: stage for stage in results[large]}
    for before in results[small]:
        after = large_stages.get(before.name)
        if after is None:
            print(f"  {before.name:30} (not run at {large:,})")
            continue
        if before.rows > 1:
            figures = (
                f"{before.rate:12,.0f}/s {after.rate:12,.0f}/s {after.rate / before.rate:7.2f}"
            )
        else:  # a page: its p95, where the ratio is time (1.0 = flat)
            figures = (
                f"{before.seconds * 1000:11.0f} ms {after.seconds * 1000:11.0f} ms "
                f"{after.seconds / before.seconds:7.2f}"
            )
        print(f"  {before.name:30} {figures}")


if __name__ == "__main__":
    main()
