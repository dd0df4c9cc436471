"""The ingest's jobs (``app.jobs`` names): ``ingest.fetch_day`` (today and yesterday, or one
day) and ``ingest.fetch_brought_papers`` (the papers readers brought that we lack, from arXiv)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import httpx

from app.config import Settings
from app.db import session_factory_for, transaction, utcnow
from app.ingest.clients import ingest_clients
from app.ingest.errors import FetchError
from app.ingest.lookups import record_lookups, waiting_ids
from app.ingest.service import ingest_date, record_failed_run
from app.ingest.sources.arxiv import ArxivRecord
from app.ingest.spacing import RequestSpacer

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


def fetch_brought_papers(
    settings: Settings,
    *,
    transport: httpx.BaseTransport | None = None,
    limiter: RequestSpacer | None = None,
) -> dict[str, int]:
    """Ask arXiv for the brought papers still waiting, and store what it knows.

    Enqueued when a reader brings a paper we lack, and run on the schedule, so
    ids brought while arXiv (or the network) was away are fetched later. No
    transaction stays open while arXiv is asked. Idempotent: a paper stored by
    a concurrent run is simply not asked for again.
    """
    factory = session_factory_for(settings.database_url)
    with transaction(factory) as session:
        asked = waiting_ids(session)
    if not asked:
        return {"asked": 0, "stored": 0, "missing": 0}
    records: dict[str, ArxivRecord] | None = None
    error = None
    with ingest_clients(settings, transport=transport, limiter=limiter) as clients:
        try:
            records = clients.enricher.lookup(asked)
        except FetchError as failure:
            error = str(failure)
            log.warning("brought papers: arXiv lookup failed, will retry: %s", failure)
    with transaction(factory) as session:
        summary = record_lookups(session, asked=asked, records=records, error=error)
    log.info(
        "brought papers: asked %d, stored %d, unknown to arXiv %d",
        summary.asked,
        summary.stored,
        len(summary.missing),
    )
    return {"asked": summary.asked, "stored": summary.stored, "missing": len(summary.missing)}
