"""Benchmark: ingest saved Daily Papers dumps (no arXiv) into a database, then again.

    PAPERBOY_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/bench \\
        python bench/ingest.py --fresh ../shared/data/hf-daily-papers/2025-09.json

Prints wall-clock seconds for the first ingest and for the re-ingest of the
same files (goal: both <= 2 s for a month, the second with zero new rows),
each measured as the CLI does it: parse, upsert, commit.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, delete, func, select, text

from app.db import make_engine, make_session_factory, transaction
from app.ingest.service import IngestSummary, ingest_files
from app.migrations import upgrade_database
from app.models.ingest_run import IngestRun
from app.models.paper import Paper, PaperFeature, PaperSnapshot

BENCH_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_ingest"


def create_bench_database() -> None:
    server = create_engine(BENCH_DATABASE_URL.rsplit("/", 1)[0] + "/postgres")
    with server.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = 'bench_ingest'")
        ).scalar()
        if not exists:
            connection.execute(text("CREATE DATABASE bench_ingest"))
    server.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("PAPERBOY_DATABASE_URL", BENCH_DATABASE_URL),
        help="defaults to $PAPERBOY_DATABASE_URL, else a local bench_ingest (created if missing)",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="empty the paper tables first (cold insert)"
    )
    args = parser.parse_args()
    if args.database_url == BENCH_DATABASE_URL:
        create_bench_database()
    upgrade_database(args.database_url)
    engine = make_engine(args.database_url)
    factory = make_session_factory(engine)
    if args.fresh:
        with transaction(factory) as session:
            for model in (PaperSnapshot, PaperFeature, Paper, IngestRun):
                session.execute(delete(model))

    print(f"database: {engine.url.render_as_string(hide_password=True)}")
    print(f"files:    {', '.join(str(p) for p in args.paths)}")
    for label in ("first ingest", "re-ingest"):
        started = time.perf_counter()
        with transaction(factory) as session:
            summary = ingest_files(session, paths=args.paths, enricher=None)
        elapsed = time.perf_counter() - started
        _report(label, elapsed, summary)
    with transaction(factory) as session:
        counts = {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (Paper, PaperFeature, PaperSnapshot)
        }
    print("rows:     " + ", ".join(f"{table} {n}" for table, n in counts.items()))
    engine.dispose()
    return 0


def _report(label: str, elapsed: float, summary: IngestSummary) -> None:
    print(
        f"{label:<13} {elapsed:6.3f} s  fetched {summary.fetched}, new {summary.new}, "
        f"updated {summary.updated}, skipped {len(summary.skipped)}"
    )
    for skip in summary.skipped:
        print(f"    skipped {skip.item}: {skip.reason}")


if __name__ == "__main__":
    sys.exit(main())
