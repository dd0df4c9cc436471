"""The ingest's job (``app.jobs`` name ``ingest.fetch_day``): today and yesterday, or one day."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from app.config import Settings
from app.db import session_factory_for, transaction, utcnow
from app.ingest.clients import ingest_clients
from app.ingest.errors import FetchError
from app.ingest.service import ingest_date, record_failed_run

log = logging.getLogger(__name__)
TOTALS = ("fetched", "new", "updated", "skipped", "enriched")


def fetch_day(settings: Settings, day: str | None = None) -> dict[str, int]:
    """Ingest ``day`` (ISO date), or today and yesterday (UTC): today may be empty until late.

    Idempotent: a re-run adds no papers, only a fresh upvote snapshot. A day
    that cannot be fetched is recorded as a failed run; the first such error
    is raised once every day was tried (so a worker's retry policy applies).
    """
    today = utcnow().date()
    days = [date.fromisoformat(day)] if day else [today, today - timedelta(days=1)]
    factory = session_factory_for(settings.database_url)
    totals = dict.fromkeys(TOTALS, 0)
    failures: list[FetchError] = []
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
            counts = {
                "fetched": summary.fetched,
                "new": summary.new,
                "updated": summary.updated,
                "skipped": len(summary.skipped),
                "enriched": summary.enriched,
            }
            log.info("ingest %s: %s", target, ", ".join(f"{k} {v}" for k, v in counts.items()))
            for key, value in counts.items():
                totals[key] += value
    if failures:
        raise failures[0]
    return totals
