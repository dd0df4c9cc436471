"""Builds the sources and the arXiv client from settings (for the CLI and the tasks)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from app.config import Settings
from app.ingest.http import HttpFetcher, RetryPolicy, make_client
from app.ingest.sources import Source
from app.ingest.sources.arxiv import ArxivClient
from app.ingest.sources.arxiv_feed import ArxivListingSource
from app.ingest.sources.hf_daily import HFDailySource
from app.ingest.spacing import RequestSpacer, arxiv_spacer


@dataclass(frozen=True, slots=True)
class IngestClients:
    sources: list[Source]
    enricher: ArxivClient


@contextmanager
def ingest_clients(
    settings: Settings,
    *,
    transport: httpx.BaseTransport | None = None,
    limiter: RequestSpacer | None = None,
) -> Iterator[IngestClients]:
    """The configured sources and arXiv client, sharing one HTTP client closed at the end."""
    with make_client(settings, transport=transport) as client:
        fetcher = HttpFetcher(client, RetryPolicy.from_settings(settings))
        limiter = limiter or arxiv_spacer(settings)
        sources: list[Source] = [
            HFDailySource(
                fetcher,
                api_url=settings.hf_api_url,
                page_url=settings.hf_page_url,
                token=settings.hf_token,
            )
        ]
        if settings.arxiv_feed_enabled:
            sources.append(
                ArxivListingSource(
                    fetcher,
                    limiter,
                    feed_url=settings.arxiv_feed_url,
                    categories=settings.arxiv_feed_categories,
                )
            )
        yield IngestClients(sources, ArxivClient(fetcher, limiter, api_url=settings.arxiv_api_url))
