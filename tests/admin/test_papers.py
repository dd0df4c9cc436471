"""The papers page: the day's papers by trend, in how many digests each is, ingest history."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.admin.papers import paper_reach, paper_reach_figure, papers_of_day
from app.admin.refresh import refresh_dashboard
from app.db import make_session_factory, transaction
from app.models import Delivery, DeliveryStatus, EditionStatus
from tests.admin.scenario import seed_scenario


def test_papers_of_the_day_are_ordered_by_trend(session: Session) -> None:
    scenario = seed_scenario(session)
    papers = papers_of_day(session, day=scenario.today)
    assert [p.paper.arxiv_id for p in papers] == [p.arxiv_id for p in scenario.papers]
    assert papers[0].trending_score >= papers[-1].trending_score


def test_reach_counts_the_digests_that_include_each_paper(session: Session) -> None:
    scenario = seed_scenario(session)
    assert scenario.today_edition is not None
    reach = paper_reach(session, edition_id=scenario.today_edition.id)
    # pending 2 + sending 1 + sent 5 carry paper 0; only the 5 sent carry paper 1.
    first, second = (p.arxiv_id for p in scenario.papers[:2])
    assert reach == {first: 8, second: 5}


def test_papers_page_shows_reach_and_skipped_item_reasons(
    admin_client: TestClient, clean_db: Engine
) -> None:
    with transaction(make_session_factory(clean_db)) as session:
        seed_scenario(session)
    html = admin_client.get("/admin/papers").text
    assert "In digests" in html and "invalid arXiv id" in html
    first_row = html[html.index("Paper number 0") :][:600]
    assert '<td class="num">8</td>' in first_row


def test_a_paper_gaining_votes_today_outranks_one_with_the_same_total(session: Session) -> None:
    from datetime import UTC, datetime, time, timedelta

    from app.models import PaperSnapshot

    scenario = seed_scenario(session)
    steady, rising = scenario.papers[2], scenario.papers[3]
    rising.upvotes = steady.upvotes
    start = datetime.combine(scenario.today, time(0), tzinfo=UTC)
    session.add_all(
        [
            PaperSnapshot(paper_id=rising.id, fetched_at=start + timedelta(hours=1), upvotes=2),
            PaperSnapshot(
                paper_id=rising.id, fetched_at=start + timedelta(hours=3), upvotes=rising.upvotes
            ),
        ]
    )
    session.flush()
    order = [p.paper.arxiv_id for p in papers_of_day(session, day=scenario.today)]
    assert order.index(rising.arxiv_id) < order.index(steady.arxiv_id)


def test_pages_reuse_a_stored_reach_that_the_minute_job_keeps_fresh(session: Session) -> None:
    scenario = seed_scenario(session)
    edition = scenario.today_edition
    assert edition is not None and edition.status == EditionStatus.SENDING
    first = scenario.papers[0].arxiv_id
    assert paper_reach_figure(session, edition=edition)[first] == 8
    # A failed digest goes out after all, with the paper; a page view still shows the stored figure
    # (reading every digest's picks on each view is what it must not do).
    extra = session.scalars(
        select(Delivery).where(
            Delivery.edition_id == edition.id, Delivery.status == DeliveryStatus.FAILED
        )
    ).first()
    assert extra is not None
    extra.status = DeliveryStatus.SENT
    extra.picks = [{"arxiv_id": first, "score": 1.0, "why": "", "section": "top"}]
    session.flush()
    assert paper_reach_figure(session, edition=edition)[first] == 8

    refresh_dashboard(session)

    assert paper_reach_figure(session, edition=edition)[first] == 9
