"""/metrics at scale: 1,000,000 subscribers, closed editions and one in flight, PostgreSQL.

Seeds a separate database (``bench_metrics`` on the test server, or ``--database-url``)
with generate_series, then times ``read_figures`` (what a scrape reads from the
database): the first scrape (every closed edition counted once and stored), the
following ones (closed editions reused, the one in flight counted), and, for
comparison, a plain ``GROUP BY status`` over every delivery. Prints milliseconds.

    python bench/metrics.py [--subscribers 1000000] [--closed 2] [--reps 5] [--reuse]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.db import make_engine, make_session_factory, transaction
from app.metrics.figures import read_figures
from app.migrations import upgrade_database

SERVER = os.environ.get(
    "PAPERBOY_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _fresh_database(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{parsed.database}"')


def _seed(url: str, subscribers: int, closed: int) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO subscriber (email, status, interests, topics, frequency, weekly_day,"
                " send_hour, timezone, token_version, seed_papers, created_at, updated_at)"
                " SELECT 'r' || n || '@example.org', CASE WHEN n % 10 = 0 THEN 'unsubscribed'"
                " ELSE 'active' END, '', '[]', 'daily', 0, 7, 'UTC', 1, '[]',"
                " now() - (n || ' seconds')::interval, now() FROM generate_series(1, :n) n"
            ),
            {"n": subscribers},
        )
        for day in range(closed + 1):
            status = "sending" if day == closed else "finished"
            edition_id = conn.execute(
                text(
                    "INSERT INTO edition (edition_date, slot, status, paper_ids, recipients,"
                    " created_at, started_at, finished_at) VALUES (current_date - :d, 'daily',"
                    " :s, '[]', :n, now(), now(), NULL) RETURNING id"
                ),
                {"d": closed - day, "s": status, "n": subscribers},
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO delivery (edition_id, subscriber_id, status, attempts, picks,"
                    " created_at, updated_at) SELECT :e, id, CASE WHEN :live AND id % 3 = 0"
                    " THEN 'pending' WHEN id % 50 = 0 THEN 'failed' ELSE 'sent' END, 1, '[]',"
                    " now(), now() FROM subscriber"
                ),
                {"e": edition_id, "live": status == "sending"},
            )
        conn.execute(text("ANALYZE"))
    engine.dispose()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--database-url", default=str(make_url(SERVER).set(database="bench_metrics"))
    )
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--closed", type=int, default=2)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    args = parser.parse_args()
    url = make_url(args.database_url).render_as_string(hide_password=False)
    if not args.reuse:
        started = time.perf_counter()
        _fresh_database(url)
        upgrade_database(url)
        _seed(url, args.subscribers, args.closed)
        print(
            f"seeded {args.subscribers:,} subscribers, {args.closed + 1} editions "
            f"({(args.closed + 1) * args.subscribers:,} deliveries) in "
            f"{time.perf_counter() - started:.0f} s"
        )
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM dashboard_stat"))

    def scrape() -> float:
        started = time.perf_counter()
        with transaction(factory) as session:
            read_figures(session)
        return time.perf_counter() - started

    first = scrape()
    warm = [scrape() for _ in range(args.reps)]
    plain = []
    for _ in range(args.reps):
        started = time.perf_counter()
        with engine.connect() as conn:
            conn.execute(text("SELECT status, count(*) FROM delivery GROUP BY status")).all()
        plain.append(time.perf_counter() - started)
    print(f"first scrape (closed editions counted and stored): {_ms(first)}")
    print(
        f"later scrapes (median of {args.reps}): {_ms(statistics.median(warm))}, "
        f"max {_ms(max(warm))}"
    )
    print(f"plain GROUP BY status over every delivery (median): {_ms(statistics.median(plain))}")
    engine.dispose()


if __name__ == "__main__":
    main()
