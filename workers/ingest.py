"""Ingest tasks: fetch a day's papers (today and yesterday when no day is given)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from app.config import get_settings
from app.db import make_engine, make_session_factory, transaction, utcnow
from app.ingest.clients import ingest_clients
from app.ingest.errors import FetchError
from app.ingest.service import ingest_date, record_failed_run
from workers.celery_app import app

log = logging.getLogger(__name__)


@app.task(
    name="ingest.fetch_day",
    autoretry_for=(FetchError,),
    retry_backoff=60,
    retry_backoff_max=900,
    max_retries=3,
)
def fetch_day(day: str | None = None) -> dict[str, int]:
    """Ingest ``day`` (ISO date), or today and yesterday (UTC): today may be empty until late.

    Idempotent: a re-run adds no papers, only a fresh upvote snapshot.
    """
    today = utcnow().date()
    days = [date.fromisoformat(day)] if day else [today, today - timedelta(days=1)]
    settings = get_settings()
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    totals = {"fetched": 0, "new": 0, "updated": 0, "skipped": 0, "enriched": 0}
    failures: list[FetchError] = []
    try:
        with ingest_clients(settings) as clients:
            for target in days:
                try:
                    with transaction(factory) as session:
                        summary = ingest_date(
                            session, day=target, sources=clients.sources, enricher=clients.enricher
                        )
                except FetchError as error:
                    failures.append(error)
                    with transaction(factory) as session:
                        record_failed_run(
                            session, source="hf_daily", target_date=target, error=str(error)
                        )
                    continue
                log.info(
                    "ingest %s: fetched %d, new %d, updated %d, skipped %d, enriched %d",
                    target,
                    summary.fetched,
                    summary.new,
                    summary.updated,
                    len(summary.skipped),
                    summary.enriched,
                )
                totals["fetched"] += summary.fetched
                totals["new"] += summary.new
                totals["updated"] += summary.updated
                totals["skipped"] += len(summary.skipped)
                totals["enriched"] += summary.enriched
    finally:
        engine.dispose()
    if failures:
        raise failures[0]
    return totals
