"""``/admin/editions``: list, detail, actions; ``/admin/api/editions/{id}/progress`` (JSON)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from app.admin import edition_actions
from app.admin.editions import (
    count_editions,
    edition_detail,
    edition_progress,
    recent_editions,
)
from app.admin.papers import paper_reach_figure
from app.config import Settings
from app.models import DeliveryStatus
from app.web.admin_auth import AdminDep
from app.web.admin_pages import redirect_with_flash, render_admin
from app.web.csrf import CSRFProtected
from app.web.deps import SessionDep, SettingsDep
from workers.sending import enqueue_chunk

router = APIRouter()
PAGE_SIZE = 25


def _send(session: Session, edition_id: int, settings: Settings) -> edition_actions.ActionResult:
    return edition_actions.start_sending(
        session, edition_id=edition_id, settings=settings, enqueue=enqueue_chunk
    )


def _pause(session: Session, edition_id: int, settings: Settings) -> edition_actions.ActionResult:
    return edition_actions.pause_edition(session, edition_id=edition_id)


def _resume(session: Session, edition_id: int, settings: Settings) -> edition_actions.ActionResult:
    return edition_actions.resume_edition(
        session, edition_id=edition_id, settings=settings, enqueue=enqueue_chunk
    )


def _cancel(session: Session, edition_id: int, settings: Settings) -> edition_actions.ActionResult:
    return edition_actions.cancel_edition(session, edition_id=edition_id)


def _retry(session: Session, edition_id: int, settings: Settings) -> edition_actions.ActionResult:
    return edition_actions.retry_failed(
        session, edition_id=edition_id, settings=settings, enqueue=enqueue_chunk
    )


# Chunks are enqueued after the request commits (in-process at once in embedded mode).
ACTIONS: dict[str, Callable[[Session, int, Settings], edition_actions.ActionResult]] = {
    "send": _send,
    "pause": _pause,
    "resume": _resume,
    "cancel": _cancel,
    "retry-failed": _retry,
}


@router.get("/admin/editions")
def editions_page(
    request: Request, admin: AdminDep, session: SessionDep, page: Annotated[int, Query(ge=1)] = 1
) -> Response:
    rows = recent_editions(session, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    total = count_editions(session)
    pages = max(1, -(-total // PAGE_SIZE))
    context = {"rows": rows, "page": page, "pages": pages, "total": total}
    return render_admin(request, "admin/editions.html", admin, "editions", context)


@router.get("/admin/editions/{edition_id}")
def edition_page(
    request: Request,
    edition_id: int,
    admin: AdminDep,
    session: SessionDep,
    status: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    wanted = DeliveryStatus(status) if status in set(DeliveryStatus) else None
    detail = edition_detail(session, edition_id=edition_id, status=wanted, page=page)
    if detail is None:
        raise HTTPException(status_code=404, detail="No such edition.")
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


@router.post("/admin/editions/{edition_id}/{action}")
def edition_action(
    request: Request,
    edition_id: int,
    action: str,
    _csrf: CSRFProtected,
    admin: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    service = ACTIONS.get(action)
    if service is None:
        raise HTTPException(status_code=404, detail="No such action.")
    try:
        result = service(session, edition_id, settings)
    except edition_actions.EditionNotFound as error:
        raise HTTPException(status_code=404, detail="No such edition.") from error
    except edition_actions.EditionActionError as error:
        return redirect_with_flash(request, f"/admin/editions/{edition_id}", str(error))
    return redirect_with_flash(request, f"/admin/editions/{edition_id}", result.message)


@router.get("/admin/api/editions/{edition_id}/progress")
def edition_progress_json(edition_id: int, admin: AdminDep, session: SessionDep) -> JSONResponse:
    progress = edition_progress(session, edition_id=edition_id)
    if progress is None:
        return JSONResponse({"detail": "No such edition."}, status_code=404)
    return JSONResponse(progress.as_json(), headers={"Cache-Control": "no-store"})
