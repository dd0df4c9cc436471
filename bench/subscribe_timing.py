"""Does subscribe answer a new and a known address in the same time? (an existence oracle)

Starts ``paperboy run`` (embedded: SQLite and a file outbox in a temporary folder,
or ``--database-url`` for PostgreSQL), imports ``--count`` active subscribers, then
posts the subscribe form and the JSON API once per address, interleaving new,
known-active, known-pending and suppressed addresses in a shuffled order, and prints the median
and 90th percentile of each. A visitor who could tell the rows apart by time could
tell which addresses are subscribed.

    python bench/subscribe_timing.py [--count 300] [--database-url URL] [--broker-url URL]

The per-IP limit is raised out of the way; the per-address mail limit stays on (each
address is posted once per endpoint, as a prober would).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PAPERBOY = [sys.executable, "-c", "from app.cli import main; main()"]
KINDS = ("new", "known active", "known pending", "suppressed")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"paperboy run exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("paperboy run did not come up within 60 s")


def summary(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p90 = ms[int(0.9 * (len(ms) - 1))]
    return f"{name:<16} n={len(ms):<4} median {statistics.median(ms):6.2f} ms   p90 {p90:6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="addresses of each kind")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp folder")
    parser.add_argument(
        "--broker-url",
        default="",
        help="Redis URL: mails are queued for Celery (none runs here; the queue is emptied after)",
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="paperboy-subscribe-timing-"))
    env = {
        **os.environ,
        "PAPERBOY_VAR_DIR": str(work / "var"),
        "PAPERBOY_SUBSCRIBE_PER_MINUTE_PER_IP": "1000000",
        "PAPERBOY_LOG_LEVEL": "WARNING",
    }
    env.pop("PAPERBOY_BROKER_URL", None)
    if args.broker_url:
        env["PAPERBOY_BROKER_URL"] = args.broker_url
    if args.database_url:
        env["PAPERBOY_DATABASE_URL"] = args.database_url
    subprocess.run([*PAPERBOY, "db", "upgrade"], env=env, check=True, capture_output=True)

    count = args.count
    run_id = f"{int(time.time())}"
    known = [f"known-{run_id}-{i}@example.org" for i in range(2 * count)]
    import_file = work / "known.csv"
    with import_file.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "topics"])
        writer.writerows([address, "llm"] for address in known)
    subprocess.run(
        [*PAPERBOY, "subscribers", "import", str(import_file)],
        env=env,
        check=True,
        capture_output=True,
    )

    # Suppressed addresses (a hard bounce or a complaint): the one kind that gets no mail.
    suppressed = [f"suppressed-{run_id}-{i}@example.org" for i in range(2 * count)]
    sys.path.insert(0, str(ROOT))
    from app.config import Settings
    from app.db import session_factory_for, transaction
    from app.models import SuppressionReason
    from app.subscriptions.suppression import Suppress, suppress_addresses

    database_url = Settings(var_dir=work / "var", database_url=args.database_url).database_url
    with transaction(session_factory_for(database_url)) as session:
        suppress_addresses(
            session, [Suppress(address, SuppressionReason.HARD_BOUNCE) for address in suppressed]
        )

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*PAPERBOY, "run", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(base, server)
        client = httpx.Client(base_url=base, timeout=30)
        match = CSRF.search(client.get("/").text)
        assert match, "no CSRF token on /"
        token = match.group(1)

        def form(address: str) -> httpx.Response:
            return client.post("/subscribe", data={"csrf_token": token, "email": address})

        def api(address: str) -> httpx.Response:
            return client.post("/api/v1/subscriptions", json={"email": address})

        # Pending addresses: new ones posted once before the measurement starts.
        pending = [f"pending-{run_id}-{i}@example.org" for i in range(2 * count)]
        for address in pending:
            form(address)
        for i in range(20):  # warm up both paths
            form(f"warm-{run_id}-{i}@example.org")
            api(f"warm-api-{run_id}-{i}@example.org")

        rows: list[tuple[str, str, str]] = []
        for endpoint, offset in (("form", 0), ("api", count)):
            for i in range(count):
                rows.append((endpoint, "new", f"new-{endpoint}-{run_id}-{i}@example.org"))
                rows.append((endpoint, "known active", known[offset + i]))
                rows.append((endpoint, "known pending", pending[offset + i]))
                rows.append((endpoint, "suppressed", suppressed[offset + i]))
        random.Random(args.seed).shuffle(rows)
        timings: dict[tuple[str, str], list[float]] = {}
        answers: dict[tuple[str, str], set[tuple[int, bytes]]] = {}
        for endpoint, kind, address in rows:
            post = form if endpoint == "form" else api
            started = time.perf_counter()
            response = post(address)
            timings.setdefault((endpoint, kind), []).append(time.perf_counter() - started)
            answers.setdefault((endpoint, kind), set()).add(
                (response.status_code, response.content)
            )
        for endpoint in ("form", "api"):
            print(f"POST {'/subscribe' if endpoint == 'form' else '/api/v1/subscriptions'}")
            for kind in KINDS:
                print("  " + summary(kind, timings[(endpoint, kind)]))
            distinct = {
                a
                for kind in ("new", "known active", "known pending")
                for a in answers[(endpoint, kind)]
            }
            print(f"  distinct (status, body) answers over all kinds: {len(distinct)}")
        outbox = work / "var" / "outbox"
        print(f"mails written: {len(list(outbox.glob('*.eml')))}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        if args.broker_url:
            import redis

            client = redis.Redis.from_url(args.broker_url)
            print(f"mails queued for Celery: {client.llen('celery')} (deleted)")
            client.delete("celery")


if __name__ == "__main__":
    main()
