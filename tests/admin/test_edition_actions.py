"""Edition actions: each is idempotent, refused where it makes no sense, CSRF-protected."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import make_session_factory, transaction
from app.editions.actions import (
    EditionStateError,
    cancel_edition,
    pause_edition,
    resume_edition,
    retry_failed,
    start_sending,
)
from app.editions.progress import delivery_counts
from app.models import Edition, EditionStatus
from tests.admin.conftest import csrf_from
from tests.admin.scenario import seed_scenario
from tests.factories import clear_queue, queued_jobs


def test_pause_then_resume_and_repeating_either_changes_nothing(
    session: Session, settings: Settings, redis_url: str
) -> None:
    edition = seed_scenario(session).today_edition
    assert edition is not None
    assert pause_edition(session, edition_id=edition.id).changed
    assert edition.status == EditionStatus.PAUSED and edition.pause_reason
    assert not pause_edition(session, edition_id=edition.id).changed
    clear_queue(redis_url)
    with_broker = settings.model_copy(update={"broker_url": redis_url})
    resumed = resume_edition(session, edition_id=edition.id, settings=with_broker, enqueue=True)
    assert resumed.changed and "2 pending" in resumed.message
    assert edition.status == EditionStatus.SENDING and edition.pause_reason is None
    assert queued_jobs(redis_url) == []  # nothing goes to the broker before the commit
    session.commit()
    jobs = queued_jobs(redis_url)
    clear_queue(redis_url)
    assert [(name, edition_id, len(ids)) for name, (edition_id, ids) in jobs] == [
        ("editions.send_chunk", edition.id, 2)
    ]
    again = resume_edition(session, edition_id=edition.id, settings=settings, enqueue=False)
    assert not again.changed


def test_cancel_skips_what_was_pending_and_the_numbers_still_add_up(
    session: Session, settings: Settings
) -> None:
    edition = seed_scenario(session).today_edition
    assert edition is not None
    result = cancel_edition(session, edition_id=edition.id)
    assert result.changed and "2 pending" in result.message
    counts = delivery_counts(session, [edition.id])[edition.id]
    assert counts.pending == 0 and counts.skipped == 3 and counts.recipients == 12
    assert not cancel_edition(session, edition_id=edition.id).changed
    with pytest.raises(EditionStateError):
        resume_edition(session, edition_id=edition.id, settings=settings, enqueue=False)
    with pytest.raises(EditionStateError):
        start_sending(session, edition_id=edition.id, settings=settings, enqueue=False)


def test_retry_failed_requeues_failures_but_not_bounces(
    session: Session, settings: Settings
) -> None:
    scenario = seed_scenario(session)
    edition = scenario.yesterday_edition
    assert edition is not None and edition.status == EditionStatus.FINISHED
    result = retry_failed(session, edition_id=edition.id, settings=settings, enqueue=False)
    assert result.changed and "2 failed" in result.message
    assert edition.status == EditionStatus.SENDING
    counts = delivery_counts(session, [edition.id])[edition.id]
    assert (counts.failed, counts.pending, counts.sent) == (0, 2, 10)
    assert not retry_failed(
        session, edition_id=edition.id, settings=settings, enqueue=False
    ).changed


def test_a_finished_edition_cannot_be_paused(session: Session) -> None:
    edition = seed_scenario(session).yesterday_edition
    assert edition is not None
    with pytest.raises(EditionStateError):
        pause_edition(session, edition_id=edition.id)


def test_pause_button_works_once_and_needs_csrf(admin_client: TestClient, clean_db: Engine) -> None:
    with transaction(make_session_factory(clean_db)) as session:
        edition = seed_scenario(session).today_edition
    assert edition is not None
    page = f"/admin/editions/{edition.id}"
    assert admin_client.post(f"{page}/pause").status_code == 403
    token = csrf_from(admin_client.get(page).text)
    first = admin_client.post(f"{page}/pause", data={"csrf_token": token})
    assert first.status_code == 303
    assert "Paused" in admin_client.get(first.headers["location"]).text
    second = admin_client.post(f"{page}/pause", data={"csrf_token": token})
    assert "already paused" in admin_client.get(second.headers["location"]).text
    with Session(clean_db) as check:
        status = check.scalar(select(Edition.status).where(Edition.id == edition.id))
    assert status == EditionStatus.PAUSED
    html = admin_client.get(page).text
    assert "Resume" in html and 'data-confirm="Resume' in html  # asked by static/pages.js


def test_a_forged_flash_message_is_not_shown(admin_client: TestClient) -> None:
    html = admin_client.get("/admin/editions?flash=Your+session+expired,+go+to+evil.example").text
    assert "evil.example" not in html
