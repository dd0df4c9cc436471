"""Admin dashboard at scale: 100,000 subscribers and 30 editions in PostgreSQL.

Seeds a separate database (``bench_admin`` on the test server, or
``--database-url``) with COPY, then times the overview, the subscriber search
and the live-progress endpoint through the ASGI app (httpx via TestClient),
printing median and p95 in milliseconds. Goal: <= 300 ms each.

    python bench/admin.py [--subscribers 100000] [--editions 30] [--reps 15] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from app.admin.auth import create_admin_user
from app.admin.refresh import refresh_dashboard
from app.config import Settings
from app.db import make_engine, make_session_factory, transaction
from app.migrations import upgrade_database
from app.web.app import create_app

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_admin"
PASSWORD = "bench password 123"
PAPER_IDS = [f"2511.{10000 + n}" for n in range(30)]
STATUSES = [  # (status, share)
    ("active", 0.80),
    ("unsubscribed", 0.08),
    ("pending", 0.05),
    ("paused", 0.04),
    ("bounced", 0.02),
    ("complained", 0.01),
]


def ensure_database(url: str) -> None:
    parsed = make_url(url)
    admin_dsn = parsed.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin_dsn, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{parsed.database}"')


def _copy(engine: Engine, table: str, columns: list[str], rows: list[tuple[object, ...]]) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def seed(engine: Engine, url: str, subscribers: int, editions: int) -> None:
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade_database(url)
    rng = random.Random(42)
    now = datetime.now(UTC)
    statuses = [name for name, share in STATUSES for _ in range(int(share * 100))]
    rows = []
    active_ids = []
    for index in range(1, subscribers + 1):
        # Growth that speeds up: more sign-ups in recent days.
        age_days = 730 * rng.random() ** 2
        created = now - timedelta(days=age_days)
        status = statuses[index % len(statuses)]
        if status == "active":
            active_ids.append(index)
        rows.append(
            (
                index,
                f"user{index:06d}@example{index % 50}.org",
                status,
                "diffusion models, retrieval augmented generation",
                '["llm", "agents"]',
                "[]",
                "daily",
                0,
                7,
                "UTC",
                1,
                created,
                created,
                "bench",
            )
        )
    _copy(
        engine,
        "subscriber",
        [
            "id",
            "email",
            "status",
            "interests",
            "topics",
            "seed_papers",
            "frequency",
            "weekly_day",
            "send_hour",
            "timezone",
            "token_version",
            "created_at",
            "updated_at",
            "consent_source",
        ],
        rows,
    )
    print(f"  {subscribers} subscribers in {time.perf_counter() - started:.1f} s")
    today = now.date()
    edition_rows = []
    for number in range(editions):
        day = today - timedelta(days=editions - 1 - number)
        latest = number == editions - 1
        edition_rows.append(
            (
                number + 1,
                day,
                "daily",
                "sending" if latest else "finished",
                "[]",
                len(active_ids),
                datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=7),
                datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=7),
                None if latest else datetime.combine(day, datetime.min.time(), UTC),
            )
        )
    _copy(
        engine,
        "edition",
        [
            "id",
            "edition_date",
            "slot",
            "status",
            "paper_ids",
            "recipients",
            "created_at",
            "started_at",
            "finished_at",
        ],
        edition_rows,
    )
    _copy(
        engine,
        "paper",
        [
            *("id", "arxiv_id", "title", "abstract", "authors", "upvotes", "num_comments"),
            *("ai_keywords", "categories", "created_at", "updated_at"),
        ],
        [
            (n + 1, a, f"Bench paper {n}", "An abstract.", "[]", 100 - n, 0, "[]", "[]", now, now)
            for n, a in enumerate(PAPER_IDS)
        ],
    )
    _copy(
        engine,
        "paper_feature",
        ["paper_id", "featured_on", "created_at"],
        [(n + 1, today, now) for n in range(len(PAPER_IDS))],
    )
    delivery_id = 0
    events = []
    # Readers' "More / Fewer like this": one word per (reader, paper), on a few digests.
    feedback: dict[tuple[int, str], tuple[str, int]] = {}
    columns = ["id", "edition_id", "subscriber_id", "status", "attempts", "picks"]
    columns += ["created_at", "updated_at"]
    for number in range(1, editions + 1):
        latest = number == editions
        batch = []
        for subscriber_id in active_ids:
            delivery_id += 1
            roll = rng.random()
            if latest:
                status = "sent" if roll < 0.55 else "pending" if roll < 0.97 else "failed"
            else:
                status = "sent" if roll < 0.97 else "failed" if roll < 0.99 else "bounced"
            picks = "[]"
            if status in ("sent", "sending") or (latest and status == "pending" and roll < 0.7):
                chosen = rng.sample(PAPER_IDS, 7)
                picks = json.dumps([{"arxiv_id": a, "score": 0.5, "why": "bench"} for a in chosen])
            batch.append((delivery_id, number, subscriber_id, status, 1, picks, now, now))
            if status == "sent" and rng.random() < 0.04:
                events.append(("click", subscriber_id, delivery_id, "2511.00001", "{}", now))
            if status == "sent" and rng.random() < 0.03:
                kind = "like" if rng.random() < 0.7 else "dislike"
                feedback[(subscriber_id, rng.choice(PAPER_IDS))] = (kind, number)
        _copy(engine, "delivery", columns, batch)
    print(f"  {delivery_id} deliveries in {time.perf_counter() - started:.1f} s")
    _copy(
        engine,
        "event",
        ["kind", "subscriber_id", "delivery_id", "arxiv_id", "detail", "created_at"],
        events,
    )
    _copy(
        engine,
        "reader_feedback",
        ["subscriber_id", "arxiv_id", "kind", "edition_id", "created_at"],
        [(s, a, kind, e, now) for (s, a), (kind, e) in feedback.items()],
    )
    print(f"  {len(feedback)} likes and dislikes")
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    with transaction(make_session_factory(engine)) as session:
        create_admin_user(session, email="bench@example.org", password=PASSWORD)
    print(f"  {len(events)} clicks; seeded in {time.perf_counter() - started:.1f} s")


def timed(client: TestClient, path: str, reps: int) -> tuple[float, float, int]:
    client.get(path)  # warm up (template compile, plan cache)
    samples = []
    for _ in range(reps):
        begin = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, len(response.content)


def explain(engine: Engine, sql: str, **params: object) -> str:
    with engine.connect() as connection:
        plan = connection.execute(text("EXPLAIN " + sql), params).scalars().all()
    return "\n      ".join(plan)


def explain_search(engine: Engine) -> str:
    """The plan of the subscriber search's statement, as SQLAlchemy compiles it."""
    from app.admin.subscribers import search_statement
    from app.models import Subscriber

    statement = search_statement("user0421", None, "postgresql")
    compiled = (
        statement.with_only_columns(Subscriber.id)
        .order_by(Subscriber.email)
        .limit(50)
        .compile(engine, compile_kwargs={"literal_binds": True})
    )
    with engine.connect() as connection:
        plan = connection.exec_driver_sql("EXPLAIN " + str(compiled)).scalars().all()
    return "\n      ".join(plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--editions", type=int, default=30)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="skip seeding (already seeded)")
    args = parser.parse_args()

    ensure_database(args.database_url)
    engine = make_engine(args.database_url)
    if not args.reuse:
        print(f"seeding {args.subscribers} subscribers, {args.editions} editions ...")
        seed(engine, args.database_url, args.subscribers, args.editions)
    with tempfile.TemporaryDirectory() as var:
        settings = Settings(
            database_url=args.database_url,
            var_dir=Path(var),
            secret_key="bench-secret-key-long-enough-0123456789",
            broker_url=None,
        )
        with TestClient(create_app(settings, engine), follow_redirects=False) as client:
            login = client.get("/admin/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', login)
            assert token
            signed_in = client.post(
                "/admin/login",
                data={"email": "bench@example.org", "password": PASSWORD, "csrf_token": token[1]},
            )
            assert signed_in.status_code == 303, signed_in.text
            latest = args.editions
            pages = {
                "overview": "/admin",
                "subscriber search (prefix)": "/admin/subscribers?q=user0421",
                "subscriber search + status": "/admin/subscribers?q=user04&status=active",
                "subscribers, newest first": "/admin/subscribers",
                "subscribers by status, page 20": "/admin/subscribers?status=paused&page=20",
                "edition detail (sending)": f"/admin/editions/{latest}",
                "edition progress JSON": f"/admin/api/editions/{latest}/progress",
                "editions list": "/admin/editions",
                "papers (reach from picks)": "/admin/papers",
            }
            print(f"\n{'page':34} {'median ms':>10} {'p95 ms':>8} {'KB':>6}   ({args.reps} reps)")
            for name, path in pages.items():
                median, p95, size = timed(client, path, args.reps)
                flag = "" if p95 <= 300 else "  > 300 ms"
                print(f"{name:34} {median:10.1f} {p95:8.1f} {size / 1024:6.1f}{flag}")
            # The worst case: every stored figure expired (the minute job not running).
            cold = []
            for _ in range(max(3, args.reps // 3)):
                with engine.begin() as connection:
                    connection.execute(text("DELETE FROM dashboard_stat"))
                begin = time.perf_counter()
                assert client.get("/admin").status_code == 200
                cold.append((time.perf_counter() - begin) * 1000)
            print(
                f"{'overview, figures expired (cold)':34} {statistics.median(cold):10.1f} "
                f"{max(cold):8.1f}          (max of {len(cold)})"
            )
            refresh = []
            for _ in range(3):
                begin = time.perf_counter()
                with transaction(make_session_factory(engine)) as session:
                    refresh_dashboard(session)
                refresh.append((time.perf_counter() - begin) * 1000)
            print(
                f"{'admin.refresh_dashboard job':34} {statistics.median(refresh):10.1f} "
                f"{max(refresh):8.1f}          (max of 3)"
            )
    print("\nplans:")
    print("  search (the page's own statement):\n      " + explain_search(engine))
    print(
        "  growth:\n      "
        + explain(
            engine,
            "SELECT count(*) FROM subscriber WHERE created_at >= :d",
            d=date.today() - timedelta(days=89),
        )
    )
    engine.dispose()


if __name__ == "__main__":
    main()
