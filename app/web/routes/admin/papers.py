"""``/admin/papers``: the day's papers, ingest run history, and a button to ingest now."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app import jobs
from app.admin.overview import count_ingest_runs, recent_ingest_runs
from app.admin.papers import paper_reach_figure, papers_of_day, todays_edition_for
from app.papers.listing import latest_featured_day
from app.web.admin_auth import AdminDep
from app.web.admin_pages import DayQuery, PageNumber, redirect_with_flash, render_admin
from app.web.csrf import CSRFProtected
from app.web.deps import SettingsDep, WriteSessionDep

router = APIRouter()
RUNS_PER_PAGE = 20


@router.get("/admin/papers")
def papers_page(
    request: Request,
    admin: AdminDep,
    session: WriteSessionDep,  # stores the cached figures it computes
    day: DayQuery = None,
    page: PageNumber = 1,
) -> Response:
    shown = day or latest_featured_day(session)
    total_runs = count_ingest_runs(session)
    edition = todays_edition_for(session, day=shown) if shown else None
    context = {
        "day": shown,
        "edition": edition,
        "reach": paper_reach_figure(session, edition=edition) if edition else {},
        "papers": papers_of_day(session, day=shown) if shown else [],
        "ingest_runs": recent_ingest_runs(
            session, limit=RUNS_PER_PAGE, offset=(page - 1) * RUNS_PER_PAGE
        ),
        "show_skipped": True,
        "page": page,
        "pages": max(1, -(-total_runs // RUNS_PER_PAGE)),
    }
    return render_admin(request, "admin/papers.html", admin, "papers", context)


@router.post("/admin/papers/ingest")
def trigger_ingest(
    request: Request, _csrf: CSRFProtected, admin: AdminDep, settings: SettingsDep
) -> Response:
    # A fetch waits on arXiv's 3 s spacing: in embedded mode it runs beside the
    # request instead of holding the admin's browser.
    jobs.enqueue("ingest.fetch_day", settings=settings, background=True)
    return redirect_with_flash(
        request,
        "/admin/papers",
        "Ingest started for today and yesterday; reload in a minute to see the run.",
    )
