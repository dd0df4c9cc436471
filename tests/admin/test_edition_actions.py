"""Edition actions: each is idempotent, refused where it makes no sense, CSRF-protected."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
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


@pytest.mark.parametrize(
    ("referer", "back"),
    [
        ("http://testserver/admin/editions?page=2", "/admin/editions"),
        # Resolved by the browser, these leave the admin: the edition's own page instead.
        ("http://testserver/admin/../..//evil.example", None),
        ("http://testserver/admin/%2e%2e/%2e%2e//evil.example", None),
    ],
)
def test_a_refused_action_goes_back_only_to_an_admin_page(
    admin_client: TestClient, clean_db: Engine, referer: str, back: str | None
) -> None:
    with transaction(make_session_factory(clean_db)) as session:
        edition = seed_scenario(session).yesterday_edition  # finished: pausing is refused
    assert edition is not None
    page = f"/admin/editions/{edition.id}"
    token = csrf_from(admin_client.get(page).text)
    refused = admin_client.post(
        f"{page}/pause", data={"csrf_token": token}, headers={"Referer": referer}
    )
    assert refused.status_code == 303
    assert refused.headers["location"].split("?flash=")[0] == (back or page)


def test_a_forged_flash_message_is_not_shown(admin_client: TestClient) -> None:
    html = admin_client.get("/admin/editions?flash=Your+session+expired,+go+to+evil.example").text
    assert "evil.example" not in html


def test_a_flash_message_is_shown_after_its_action_and_not_when_the_page_is_reopened_later(
    admin_client: TestClient, admin_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.web import admin_pages

    secret = admin_app.state.paperboy.secret_key
    signer = URLSafeTimedSerializer(secret, salt=admin_pages.FLASH_SALT)
    fresh = signer.dumps("Test digest sent to ops@example.org")
    assert "Test digest sent" in admin_client.get("/admin/editions", params={"flash": fresh}).text
    later = int(time.time()) + admin_pages.FLASH_SECONDS + 1
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    assert (
        "Test digest sent" not in admin_client.get("/admin/editions", params={"flash": fresh}).text
    )


def test_resume_in_embedded_mode_answers_at_once_and_the_send_goes_on_behind_it(
    admin_client: TestClient,
    clean_db: Engine,
    admin_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading
    import time

    import app.editions.jobs as edition_jobs
    from app.editions.actions import pause_edition
    from app.editions.service import open_edition
    from tests.factories import DAY, add_papers, add_subscriber

    assert admin_settings.broker_url is None  # embedded: jobs run in this process
    factory = make_session_factory(clean_db)
    with transaction(factory) as session:
        add_papers(session)
        for n in range(3):
            add_subscriber(session, f"reader{n}@example.org")
        edition, _ = open_edition(session, edition_date=DAY, settings=admin_settings)
        pause_edition(session, edition_id=edition.id)
        edition_id = edition.id
    # The send waits at this gate: were it run inside the request, the request would too.
    gate = threading.Event()
    send_chunk = edition_jobs.send_chunk

    def gated(*args: object) -> object:
        assert gate.wait(30)
        return send_chunk(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(edition_jobs, "send_chunk", gated)
    token = csrf_from(admin_client.get(f"/admin/editions/{edition_id}").text)

    resumed = admin_client.post(f"/admin/editions/{edition_id}/resume", data={"csrf_token": token})

    assert resumed.status_code == 303 and not gate.is_set()
    with Session(clean_db) as session:
        assert delivery_counts(session, [edition_id])[edition_id].pending == 3
    gate.set()
    deadline = time.monotonic() + 30
    while True:
        with Session(clean_db) as session:
            status = session.get_one(Edition, edition_id).status
            counts = delivery_counts(session, [edition_id])[edition_id]
        if status == EditionStatus.FINISHED or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert status == EditionStatus.FINISHED and counts.sent == 3


def test_an_admin_sends_a_days_edition_now_from_the_editions_page(
    admin_client: TestClient, clean_db: Engine, admin_settings: Settings
) -> None:
    import time

    from tests.factories import DAY, add_papers, add_subscriber

    with transaction(make_session_factory(clean_db)) as session:
        add_papers(session)  # featured on DAY, before today: the day the form offers
        for n in range(2):
            add_subscriber(session, f"reader{n}@example.org")
    page = admin_client.get("/admin/editions")
    assert f'name="day" value="{DAY.isoformat()}"' in page.text

    sent = admin_client.post(
        "/admin/editions/send", data={"csrf_token": csrf_from(page.text), "day": str(DAY)}
    )

    assert sent.status_code == 303
    edition_page = admin_client.get(sent.headers["location"])
    assert "Sending started: 2 digests queued." in edition_page.text
    deadline = time.monotonic() + 30
    while True:
        with Session(clean_db) as session:
            edition = session.scalars(select(Edition)).one()
            counts = delivery_counts(session, [edition.id])[edition.id]
        if edition.status == EditionStatus.FINISHED or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert edition.status == EditionStatus.FINISHED and counts.sent == 2
    # Again: nothing more to send, and it says so.
    again = admin_client.post(
        "/admin/editions/send", data={"csrf_token": csrf_from(page.text), "day": str(DAY)}
    )
    assert "Nothing more to send for" in admin_client.get(again.headers["location"]).text
