"""``/admin/editions``: list, detail, actions; ``/admin/api/editions/{id}/progress`` (JSON)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from app.admin.editions import count_editions, edition_detail, recent_editions
from app.admin.papers import paper_reach_figure
from app.config import Settings
from app.db import utcnow
from app.editions import actions
from app.editions.progress import edition_progress
from app.errors import NotFound
from app.models import DeliveryStatus
from app.papers.listing import day_to_send
from app.web.admin_auth import AdminDep
from app.web.admin_pages import DayForm, PageNumber, RowId, redirect_with_flash, render_admin
from app.web.csrf import CSRFProtected
from app.web.deps import SessionDep, SettingsDep, WriteSessionDep

router = APIRouter()
PAGE_SIZE = 25


# Chunks are queued once the request commits (in embedded mode a background thread runs
# them in turn: the request answers at once).
ACTIONS: dict[str, Callable[[Session, int, Settings], actions.ActionResult]] = {
    "send": lambda s, i, settings: actions.start_sending(
        s, edition_id=i, settings=settings, enqueue=True
    ),
    "pause": lambda s, i, settings: actions.pause_edition(s, edition_id=i),
    "resume": lambda s, i, settings: actions.resume_edition(
        s, edition_id=i, settings=settings, enqueue=True
    ),
    "cancel": lambda s, i, settings: actions.cancel_edition(s, edition_id=i),
    "retry-failed": lambda s, i, settings: actions.retry_failed(
        s, edition_id=i, settings=settings, enqueue=True
    ),
}


@router.get("/admin/editions")
def editions_page(
    request: Request,
    admin: AdminDep,
    session: WriteSessionDep,  # stores the cached figures it computes
    page: PageNumber = 1,
) -> Response:
    rows = recent_editions(session, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    total = count_editions(session)
    pages = max(1, -(-total // PAGE_SIZE))
    context = {
        "rows": rows,
        "page": page,
        "pages": pages,
        "total": total,
        # What "Send an edition now" offers: today, or the latest day with papers.
        "send_day": day_to_send(session, utcnow().date()),
    }
    return render_admin(request, "admin/editions.html", admin, "editions", context)


@router.get("/admin/editions/{edition_id}")
def edition_page(
    request: Request,
    edition_id: RowId,
    admin: AdminDep,
    session: WriteSessionDep,  # stores the edition's figures it counts
    status: str | None = None,
    page: PageNumber = 1,
) -> Response:
    wanted = DeliveryStatus(status) if status in set(DeliveryStatus) else None
    detail = edition_detail(session, edition_id=edition_id, status=wanted, page=page)
    context = {
        "detail": detail,
        "reach": paper_reach_figure(session, edition=detail.row.edition),
        "edition": detail.row.edition,
        "status_filter": wanted.value if wanted else "",
        "statuses": [s.value for s in DeliveryStatus],
        "page": page,
        "pages": max(1, -(-detail.deliveries_total // 50)),
    }
    return render_admin(request, "admin/edition.html", admin, "editions", context)


@router.post("/admin/editions/send")
def send_now(
    request: Request,
    _csrf: CSRFProtected,
    admin: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    day: DayForm = None,
) -> Response:
    """Open the edition of ``day`` and send it to everyone due, now (``paperboy send``'s
    work, from the dashboard); the send goes on after the answer."""
    if day is None:
        return redirect_with_flash(request, "/admin/editions", "Choose the edition's date.")
    result = actions.send_date_now(session, edition_date=day, settings=settings, enqueue=True)
    return redirect_with_flash(request, f"/admin/editions/{result.edition.id}", result.message)


@router.post("/admin/editions/{edition_id}/{action}")
def edition_action(
    request: Request,
    edition_id: RowId,
    action: str,
    _csrf: CSRFProtected,
    admin: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    service = ACTIONS.get(action)
    if service is None:
        raise NotFound("There is no such action.")
    result = service(session, edition_id, settings)
    return redirect_with_flash(request, f"/admin/editions/{edition_id}", result.message)


@router.get("/admin/api/editions/{edition_id}/progress")
def edition_progress_json(edition_id: RowId, admin: AdminDep, session: SessionDep) -> JSONResponse:
    progress = edition_progress(session, edition_id=edition_id)
    return JSONResponse(progress.as_json())
