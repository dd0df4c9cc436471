"""One scrape: the database figures plus this process's (or every process's) own.

With the database away a scrape still answers, as exporters do: ``paperboy_database_up
0`` and what needs no database (the in-process figures, Python's and the process's).
The database's series are left out: their reused counts live in the database too, and
a value remembered by one web process would be no truer, so a graph shows a gap.

A registry is built per scrape, so an app built in a test and one built by
``paperboy run`` never share collectors; the in-process metrics stay in
prometheus-client's default registry, or in ``PROMETHEUS_MULTIPROC_DIR``'s files.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from app.metrics.figures import Figures

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _DatabaseFigures(Collector):
    def __init__(self, figures: Figures | None) -> None:
        self.figures = figures

    def collect(self) -> Iterable[Metric]:
        figures = self.figures
        yield GaugeMetricFamily(
            "paperboy_database_up",
            "Whether this scrape could read the database's figures (1) or not (0).",
            value=0 if figures is None else 1,
        )
        if figures is None:
            return
        deliveries = CounterMetricFamily(
            "paperboy_deliveries",
            "Deliveries (one per edition and subscriber) by status.",
            labels=["status"],
        )
        for status, number in figures.deliveries.items():
            deliveries.add_metric([status.value], number)
        yield deliveries
        subscribers = GaugeMetricFamily(
            "paperboy_subscribers", "Subscribers by status.", labels=["status"]
        )
        for sub_status, number in figures.subscribers.items():
            subscribers.add_metric([sub_status.value], number)
        yield subscribers
        in_progress = GaugeMetricFamily(
            "paperboy_editions_in_progress",
            "Editions sending or paused, by status.",
            labels=["status"],
        )
        backlog = GaugeMetricFamily(
            "paperboy_edition_backlog",
            "Deliveries of an edition in progress not sent yet (pending or sending).",
            labels=["edition_id", "edition_date"],
        )
        by_status: dict[str, int] = {"sending": 0, "paused": 0}
        for edition in figures.editions_in_progress:
            by_status[edition.status.value] += 1
            backlog.add_metric([str(edition.id), edition.edition_date.isoformat()], edition.backlog)
        for edition_status, number in by_status.items():
            in_progress.add_metric([edition_status], number)
        yield in_progress
        yield backlog
        if figures.last_successful_ingest_at is not None:
            yield GaugeMetricFamily(
                "paperboy_last_successful_ingest_timestamp_seconds",
                "When the last successful ingest run finished (Unix time).",
                value=figures.last_successful_ingest_at.timestamp(),
            )


class _ThisProcess(Collector):
    def collect(self) -> Iterable[Metric]:
        yield from REGISTRY.collect()


def scrape(figures: Figures | None) -> bytes:
    """The Prometheus text for one scrape: ``figures`` read from the database, or None
    when the database could not be read."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DatabaseFigures(figures))
    multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if multiprocess_dir:
        MultiProcessCollector(registry, path=multiprocess_dir)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ThisProcess())
    return generate_latest(registry)
