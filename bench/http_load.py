"""HTTP load: POST /api/v1/subscriptions (distinct addresses) and GET / under wrk.

(Named http_load.py, not http.py: a script called http.py shadows the standard
library's http package for everything it imports.)

Starts uvicorn with 2 workers against a fresh PostgreSQL database
(``bench_http``, created and migrated here) with rate limiting turned off,
drives it with wrk (one thread, so the load generator leaves the cores to the
server) and prints requests/s and latency percentiles.

    python bench/http_load.py [--duration 15] [--connections 4 8 16] [--mode broker|embedded]

``--mode broker`` (default) is the distributed setup: the confirmation email
is queued to Redis for a Celery worker (none runs here, so the queue is
deleted afterwards). ``--mode embedded`` sends it in-process to a file outbox,
as ``paperboy run`` does. Goals: POST >= 500 req/s with p99 <= 50 ms, GET / >=
1,500 req/s.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import redis
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
DATABASE = "bench_http"
POST_GOAL = "goal >= 500 req/s, p99 <= 50 ms"

POST_SCRIPT = """
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  prefix = tostring(tid) .. "-" .. tostring(os.time()) .. "-" .. tostring(math.random(1, 1000000))
end
request = function()
  counter = counter + 1
  local body = string.format(
    '{"email":"bench-%s-%d@example.org","topics":["llm","agents"],"interests":"agents",'
    .. '"send_hour":8,"timezone":"Europe/Paris"}', prefix, counter)
  return wrk.format("POST", "/api/v1/subscriptions", {["Content-Type"] = "application/json"}, body)
end
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until_serving(base: str, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Return once ``base`` answers /healthz; exit if the server dies or takes longer."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            sys.exit("the server did not start")
        time.sleep(0.2)


def fresh_database() -> str:
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    admin.dispose()
    url = f"{PG_SERVER}/{DATABASE}"
    sys.path.insert(0, str(ROOT))
    from app.migrations import upgrade_database

    upgrade_database(url)
    return url


def wrk(url: str, *, duration: int, connections: int, script: Path | None) -> dict[str, float]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    if script:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}  # type: ignore[union-attr]
    for percentile in ("50", "90", "99"):
        match = re.search(rf"\s{percentile}%\s+([\d.]+)(us|ms|s)", output)
        assert match, output
        value, unit = float(match.group(1)), match.group(2)
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
        figures[f"p{percentile}_ms"] = value * scale
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    figures["non_2xx"] = float(errors.group(1)) if errors else 0.0
    socket_errors = re.search(r"Socket errors:.*", output)
    if socket_errors:
        print("   ", socket_errors.group(0))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=15)
    # Latency depends on how many requests wait at once, so the run sweeps a few
    # levels of concurrency rather than reporting one chosen to look good.
    parser.add_argument("--connections", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--mode", choices=["broker", "embedded"], default="broker")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")

    database_url = fresh_database()
    workdir = Path(tempfile.mkdtemp(prefix="paperboy-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PAPERBOY_DATABASE_URL": database_url,
        "PAPERBOY_RATE_LIMIT_ENABLED": "false",
        "PAPERBOY_SECRET_KEY": "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "PAPERBOY_VAR_DIR": str(workdir / "var"),
        "PAPERBOY_MAIL_URL": f"file://{workdir / 'outbox'}",
        "PAPERBOY_BASE_URL": f"http://127.0.0.1:{port}",
    }
    if args.mode == "broker":
        env["PAPERBOY_BROKER_URL"] = REDIS_URL
        redis.Redis.from_url(REDIS_URL).delete("celery")
    else:
        env.pop("PAPERBOY_BROKER_URL", None)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.web.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=workdir,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, server)
        script = workdir / "post.lua"
        script.write_text(POST_SCRIPT)
        # Warm both workers' pools, templates and caches before measuring.
        warm = max(args.connections)
        wrk(base + "/", duration=2, connections=warm, script=None)
        wrk(base + "/api/v1/subscriptions", duration=2, connections=warm, script=script)

        print(
            f"uvicorn --workers 2, PostgreSQL {DATABASE}, rate limits off, mode={args.mode}, "
            f"wrk -t1 -d{args.duration}s"
        )
        runs = [
            (name, path, lua, goal, connections)
            for name, path, lua, goal in [
                ("POST /api/v1/subscriptions", "/api/v1/subscriptions", script, POST_GOAL),
                ("GET /", "/", None, "goal >= 1500 req/s"),
            ]
            for connections in args.connections
        ]
        for name, path, lua, goal, connections in runs:
            figures = wrk(base + path, duration=args.duration, connections=connections, script=lua)
            print(
                f"{name:28s} c={connections:<3d}"
                f"{figures['rps']:8.0f} req/s  p50 {figures['p50_ms']:6.1f} ms  "
                f"p90 {figures['p90_ms']:6.1f} ms  p99 {figures['p99_ms']:6.1f} ms  "
                f"non-2xx {figures['non_2xx']:.0f}   ({goal})"
            )
        with create_engine(database_url).connect() as connection:
            count = connection.execute(text("SELECT count(*) FROM subscriber")).scalar_one()
        print(f"subscribers stored: {count}")
    finally:
        server.terminate()
        server.wait(timeout=20)
        if args.mode == "broker":
            redis.Redis.from_url(REDIS_URL).delete("celery")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
