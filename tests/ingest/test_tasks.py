"""The ingest task and its place in the beat schedule."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from celery.schedules import crontab
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.config import get_settings
from app.ingest.errors import SourceUnreachable
from app.models.ingest_run import IngestRun, IngestRunStatus
from app.schedule import beat_schedule
from tests.factories import make_test_settings


def test_the_day_is_ingested_several_times_on_weekdays_and_once_before_the_send(
    tmp_path: Path,
) -> None:
    settings = make_test_settings(tmp_path, ingest_hours_utc=[6, 14, 22], send_hour_utc=7)

    entries = {k: v for k, v in beat_schedule(settings).items() if v["task"] == "ingest.fetch_day"}

    weekday = [e["schedule"] for k, e in entries.items() if k.startswith("ingest-weekday")]
    assert [sorted(s.hour) for s in weekday if isinstance(s, crontab)] == [[6], [14], [22]]
    assert all(isinstance(s, crontab) and s.day_of_week == {1, 2, 3, 4, 5} for s in weekday)
    before_send = entries["ingest-before-send"]["schedule"]
    assert isinstance(before_send, crontab)
    assert before_send.hour == {6}


@pytest.fixture
def offline_worker_env(
    clean_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    monkeypatch.setenv("PAPERBOY_DATABASE_URL", clean_db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PAPERBOY_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("PAPERBOY_HF_API_URL", "http://127.0.0.1:9/api/daily_papers")
    for name in ("PAPERBOY_BROKER_URL", "PAPERBOY_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield clean_db
    get_settings.cache_clear()


def test_a_task_that_cannot_fetch_records_a_failed_run_for_the_admin(
    offline_worker_env: Engine,
) -> None:
    from workers.ingest import fetch_day

    with pytest.raises(SourceUnreachable, match="cannot reach"):
        fetch_day.run("2025-09-15")

    with Session(offline_worker_env) as session:
        runs = session.scalars(select(IngestRun)).all()
    assert [(r.status, str(r.target_date)) for r in runs] == [
        (IngestRunStatus.FAILED, "2025-09-15")
    ]
    assert "cannot reach 127.0.0.1" in (runs[0].error or "")
