"""The overview's figures are the database's, and they add up (both backends)."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.admin.charts import growth_chart
from app.admin.editions import recent_editions, todays_edition
from app.admin.overview import subscriber_growth, subscribers_by_status
from app.admin.refresh import refresh_dashboard
from app.db import make_session_factory, transaction
from app.editions.progress import edition_progress
from app.models import Delivery, DeliveryStatus, FeedbackKind, Subscriber, SubscriberStatus
from app.subscriptions.papers import record_feedback, undo_feedback
from tests.admin.scenario import SUBSCRIBERS, TODAY_DELIVERIES, seed_scenario


def test_subscribers_by_status_match_a_count_of_the_table(session: Session) -> None:
    seed_scenario(session)
    counts = subscribers_by_status(session)
    for status in SubscriberStatus:
        in_table = session.scalar(
            select(func.count()).select_from(Subscriber).where(Subscriber.status == status)
        )
        assert counts[status] == in_table == SUBSCRIBERS.get(status, 0)


def test_todays_edition_progress_adds_up_to_its_recipients(session: Session) -> None:
    scenario = seed_scenario(session)
    assert scenario.today_edition is not None
    assert todays_edition(session) == scenario.today_edition
    progress = edition_progress(session, edition_id=scenario.today_edition.id)
    assert progress is not None
    counts = progress.counts
    assert counts.as_dict() == {status.value: n for status, n in TODAY_DELIVERIES.items()} | {
        s.value: 0 for s in DeliveryStatus if s not in TODAY_DELIVERIES
    }
    rows = session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(Delivery.edition_id == scenario.today_edition.id)
    )
    assert (
        counts.sent
        + counts.failed
        + counts.pending
        + counts.sending
        + counts.bounced
        + counts.skipped
        == counts.recipients
        == rows
        == 12
    )
    assert progress.as_json()["percent"] == round(100 * 9 / 12, 1)
    # 3 sent in the last 30 s: 6 a minute (the same rate `paperboy send` shows), 3 to go.
    assert progress.rate_per_minute is not None and 5.9 < progress.rate_per_minute <= 6.0
    assert progress.eta_seconds == 30


def test_last_editions_show_sent_failed_and_click_rate(session: Session) -> None:
    scenario = seed_scenario(session)
    rows = {row.edition.id: row for row in recent_editions(session)}
    assert scenario.yesterday_edition is not None
    yesterday = rows[scenario.yesterday_edition.id]
    assert (yesterday.counts.sent, yesterday.counts.failed) == (10, 2)
    assert (yesterday.clicks, yesterday.clickers) == (4, 3)
    assert yesterday.click_rate == 30.0


def test_growth_series_counts_every_sign_up_once(session: Session) -> None:
    scenario = seed_scenario(session)
    growth = subscriber_growth(session, days=90, today=scenario.today)
    assert len(growth) == 90 and growth[-1].day == scenario.today
    # Subscribers were created 4, 8, ... 76 days ago: all 19 fall in the window.
    assert sum(point.new for point in growth) == 19
    assert growth[-1].total == 19
    assert growth[-1 - 4].new == 1 and growth[-1 - 4].day == scenario.today - timedelta(days=4)
    last_30 = subscriber_growth(session, days=30, today=scenario.today)
    assert sum(p.new for p in last_30) == 7 and last_30[-1].total == 19
    svg = str(growth_chart(last_30, "Subscribers"))
    assert svg.startswith("<svg") and svg.count("<rect") == 30


def test_overview_page_shows_the_database_counts(
    admin_client: TestClient, clean_db: Engine
) -> None:
    with transaction(make_session_factory(clean_db)) as session:
        scenario = seed_scenario(session)
    html = admin_client.get("/admin").text
    for status, number in SUBSCRIBERS.items():
        assert f'data-status="{status.value}">{number}<' in html
    assert scenario.today_edition is not None
    for status, number in TODAY_DELIVERIES.items():
        assert f'data-field="{status.value}">{number}<' in html
    assert 'data-field="recipients">12<' in html
    progress = admin_client.get(f"/admin/api/editions/{scenario.today_edition.id}/progress")
    assert progress.status_code == 200
    body = progress.json()
    assert body["recipients"] == 12 and body["sent"] == 5 and body["finished"] is False
    assert sum(body[s.value] for s in DeliveryStatus) == body["recipients"]


def test_last_editions_count_readers_likes_and_dislikes_next_to_clicks(
    admin_client: TestClient, clean_db: Engine
) -> None:
    with transaction(make_session_factory(clean_db)) as session:
        scenario = seed_scenario(session)
        assert scenario.yesterday_edition and scenario.today_edition
        yesterday, today = scenario.yesterday_edition.id, scenario.today_edition.id
        readers = scenario.subscribers
        said = [
            (readers[0], "2511.10000", FeedbackKind.LIKE, yesterday),
            (readers[1], "2511.10000", FeedbackKind.LIKE, yesterday),
            (readers[2], "2511.10001", FeedbackKind.DISLIKE, yesterday),
            (readers[0], "2511.10002", FeedbackKind.DISLIKE, today),
            (readers[3], "2511.10003", FeedbackKind.LIKE, None),  # not from a digest
        ]
        for reader, arxiv_id, kind, edition_id in said:
            record_feedback(
                session, subscriber=reader, arxiv_id=arxiv_id, kind=kind, edition_id=edition_id
            )

    html = admin_client.get("/admin").text

    def cells(edition_id: int) -> tuple[str, str]:
        row = html.split(f'data-edition="{edition_id}"', 1)[1].split("</tr>", 1)[0]
        likes = re.search(r'class="num likes">(\d+)<', row)
        dislikes = re.search(r'class="num dislikes">(\d+)<', row)
        assert likes and dislikes
        return likes.group(1), dislikes.group(1)

    assert '<th class="num"' in html and ">Likes</th>" in html and ">Dislikes</th>" in html
    assert cells(yesterday) == ("2", "1")
    assert cells(today) == ("0", "1")
    # An undone word no longer counts (a finished edition's figure is recounted on refresh).
    with transaction(make_session_factory(clean_db)) as session:
        reader = session.get(Subscriber, readers[1].id)
        assert reader is not None
        undo_feedback(session, subscriber=reader, arxiv_id="2511.10000")
        refresh_dashboard(session)
    html = admin_client.get("/admin").text
    assert cells(yesterday) == ("1", "1")
