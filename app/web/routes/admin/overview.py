"""``/admin``: the overview."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.admin.charts import growth_chart
from app.admin.editions import recent_editions, todays_edition
from app.admin.overview import growth_figure, recent_ingest_runs, status_figure
from app.editions.progress import progress_of
from app.web.admin_auth import AdminDep
from app.web.admin_pages import render_admin
from app.web.deps import WriteSessionDep

router = APIRouter()


@router.get("/admin")
def overview(
    request: Request,
    admin: AdminDep,
    session: WriteSessionDep,  # stores cached figures
) -> Response:
    edition = todays_edition(session)
    # Counted no earlier than the edition shown started, so its recipients and the
    # subscriber counts describe the same list.
    started = edition.started_at if edition is not None else None
    by_status, status_at = status_figure(session, not_before=started)
    growth, _ = growth_figure(session, days=90)
    context = {
        "by_status": by_status,
        "subscribers_total": sum(by_status.values()),
        "status_at": status_at,
        "chart_30": growth_chart(growth[-30:], "Subscribers, last 30 days"),
        "chart_90": growth_chart(growth, "Subscribers, last 90 days"),
        "new_30": sum(point.new for point in growth[-30:]),
        "new_90": sum(point.new for point in growth),
        "current": progress_of(session, edition) if edition else None,
        "editions": recent_editions(session, limit=7),
        "ingest_runs": recent_ingest_runs(session, limit=5),
    }
    return render_admin(request, "admin/overview.html", admin, "overview", context)
