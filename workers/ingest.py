"""Ingest tasks: fetch a day's papers (today and yesterday when no day is given), and the
papers readers brought that we do not have yet."""

from __future__ import annotations

from app.config import get_settings
from app.ingest import jobs
from app.ingest.errors import FetchError
from workers.celery_app import app


@app.task(
    name="ingest.fetch_day",
    autoretry_for=(FetchError,),
    retry_backoff=60,
    retry_backoff_max=900,
    max_retries=3,
)
def fetch_day(day: str | None = None) -> dict[str, int]:
    return jobs.fetch_day(get_settings(), day)


# A failed arXiv call is not retried here: the ids wait for the next scheduled run.
@app.task(name="ingest.fetch_brought_papers", ignore_result=True)
def fetch_brought_papers() -> dict[str, int]:
    return jobs.fetch_brought_papers(get_settings())
