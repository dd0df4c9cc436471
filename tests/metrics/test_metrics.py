"""`GET /metrics`: what an operator's Prometheus sees, read from the database at scrape time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from app.db import make_session_factory, transaction
from app.editions.running import send_edition
from app.metrics.figures import read_figures
from app.models import (
    Delivery,
    DeliveryStatus,
    Edition,
    EditionStatus,
    IngestRun,
    IngestRunStatus,
    SubscriberStatus,
)
from app.web.app import create_app
from tests.environment import ProcessSettings, process_settings  # noqa: F401 - the fixture
from tests.factories import DAY, add_papers, add_subscriber, make_test_settings


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_deliveries_subscribers_and_the_last_ingest(
    clean_db: Engine,
    process_settings: ProcessSettings,  # noqa: F811
    tmp_path: Path,
) -> None:
    settings = process_settings(clean_db)
    factory = make_session_factory(clean_db)
    finished = datetime(2025, 11, 27, 6, 30, tzinfo=UTC)
    with transaction(factory) as session:
        add_papers(session)
        add_subscriber(session, "ada@example.org")
        add_subscriber(session, "bob@example.org")
        add_subscriber(session, "gone@example.org", status=SubscriberStatus.UNSUBSCRIBED)
        session.add(IngestRun(source="hf", status=IngestRunStatus.SUCCEEDED, finished_at=finished))
        session.add(IngestRun(source="hf", status=IngestRunStatus.FAILED))
    send_edition(settings, factory, edition_date=DAY)
    client = TestClient(create_app(settings, engine=clean_db))
    client.get("/manage/not-a-real-token")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    assert found[("paperboy_deliveries_total", (("status", "sent"),))] == 2
    assert found[("paperboy_deliveries_total", (("status", "failed"),))] == 0
    assert found[("paperboy_subscribers", (("status", "active"),))] == 2
    assert found[("paperboy_subscribers", (("status", "unsubscribed"),))] == 1
    assert found[("paperboy_editions_in_progress", (("status", "sending"),))] == 0
    assert found[("paperboy_last_successful_ingest_timestamp_seconds", ())] == finished.timestamp()
    assert found[("paperboy_database_up", ())] == 1
    # Latency by route template: the token in the path never becomes a label.
    routes = {dict(labels).get("route") for name, labels in found if "http_request" in name}
    assert "/manage/{token}" in routes
    assert not any("not-a-real-token" in str(route) for route in routes)


def test_metrics_answer_without_the_database_with_the_process_figures_and_database_up_0(
    tmp_path: Path,
) -> None:
    # Nothing listens on port 1: every connection is refused, as with PostgreSQL down.
    settings = make_test_settings(
        tmp_path, database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    )
    client = TestClient(create_app(settings))
    client.get("/healthz")  # a request measured in this process

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    assert found[("paperboy_database_up", ())] == 0
    names = {name for name, _ in found}
    assert "process_cpu_seconds_total" in names  # prometheus-client's process collector
    assert "python_info" in names
    routes = {dict(labels).get("route") for name, labels in found if "http_request" in name}
    assert "/healthz" in routes
    # Nothing made up for what only the database knows.
    assert not names & {"paperboy_deliveries_total", "paperboy_subscribers"}


def test_an_edition_in_progress_shows_its_backlog(session: Session) -> None:
    edition = Edition(edition_date=DAY, status=EditionStatus.SENDING, recipients=3)
    session.add(edition)
    session.flush()
    for n, status in enumerate(
        [DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT]
    ):
        reader = add_subscriber(session, f"r{n}@example.org")
        session.add(Delivery(edition_id=edition.id, subscriber_id=reader.id, status=status))
    session.flush()

    figures = read_figures(session)

    [in_progress] = figures.editions_in_progress
    assert (in_progress.id, in_progress.backlog) == (edition.id, 2)
    assert figures.deliveries[DeliveryStatus.SENT] == 1


def test_a_closed_edition_is_counted_once_then_reused_for_a_while(session: Session) -> None:
    edition = Edition(edition_date=DAY, status=EditionStatus.FINISHED, recipients=1)
    session.add(edition)
    session.flush()
    reader = add_subscriber(session, "late.bounce@example.org")
    session.add(Delivery(edition_id=edition.id, subscriber_id=reader.id, status="sent"))
    session.flush()
    now = datetime(2025, 12, 20, 12, 0, tzinfo=UTC)  # weeks after the send
    assert read_figures(session, now=now).deliveries[DeliveryStatus.SENT] == 1

    session.execute(update(Delivery).values(status=DeliveryStatus.BOUNCED))
    soon = read_figures(session, now=now + timedelta(minutes=10)).deliveries
    later = read_figures(session, now=now + timedelta(hours=2)).deliveries

    assert (soon[DeliveryStatus.SENT], soon[DeliveryStatus.BOUNCED]) == (1, 0)
    assert (later[DeliveryStatus.SENT], later[DeliveryStatus.BOUNCED]) == (0, 1)


def _sending_to_one_reader(session: Session, email: str) -> Edition:
    """An edition in flight with one delivery, still pending."""
    edition = Edition(edition_date=DAY, status=EditionStatus.SENDING, recipients=1)
    session.add(edition)
    session.flush()
    reader = add_subscriber(session, email)
    session.add(Delivery(edition_id=edition.id, subscriber_id=reader.id, status="pending"))
    session.flush()
    return edition


def test_an_edition_in_flight_is_recounted_once_its_counts_are_10_seconds_old(
    session: Session,
) -> None:
    _sending_to_one_reader(session, "in.flight@example.org")
    now = datetime(2025, 11, 27, 7, 0, tzinfo=UTC)
    assert read_figures(session, now=now).editions_in_progress[0].backlog == 1

    session.execute(update(Delivery).values(status=DeliveryStatus.SENT))
    shared = read_figures(session, now=now + timedelta(seconds=5))
    fresh = read_figures(session, now=now + timedelta(seconds=11))

    assert shared.editions_in_progress[0].backlog == 1
    assert fresh.editions_in_progress[0].backlog == 0
    assert fresh.deliveries[DeliveryStatus.SENT] == 1


def test_an_edition_that_finished_since_it_was_counted_is_counted_again(
    session: Session,
) -> None:
    edition = _sending_to_one_reader(session, "last.one@example.org")
    now = datetime(2025, 11, 27, 7, 0, tzinfo=UTC)
    assert read_figures(session, now=now).deliveries[DeliveryStatus.PENDING] == 1

    session.execute(update(Delivery).values(status=DeliveryStatus.SENT))
    edition.status, edition.finished_at = EditionStatus.FINISHED, now + timedelta(seconds=2)
    session.flush()
    after = read_figures(session, now=now + timedelta(seconds=3)).deliveries

    # Not the sending edition's count, reused as if it were the closed edition's.
    assert (after[DeliveryStatus.PENDING], after[DeliveryStatus.SENT]) == (0, 1)


def test_a_missing_multiprocess_folder_is_made_not_a_crash(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    folder = tmp_path / "not" / "there"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    subprocess.run(
        [sys.executable, "-c", "import app.web.app"],
        env=env,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert folder.is_dir()
