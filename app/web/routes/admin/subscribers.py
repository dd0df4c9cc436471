"""``/admin/subscribers``: search, detail, unsubscribe/suppress, CSV export and import."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response, StreamingResponse

from app.admin.overview import status_figure
from app.admin.subscribers import (
    SubscriberNotFound,
    export_csv_batch,
    export_csv_header,
    search_subscribers,
    subscriber_detail,
    suppress_by_admin,
    unsubscribe_by_admin,
)
from app.db import transaction, utcnow
from app.models import SubscriberStatus
from app.web.admin_auth import AdminDep
from app.web.admin_pages import redirect_with_flash, render_admin
from app.web.csrf import CSRFProtected
from app.web.deps import SessionDep, StateDep

router = APIRouter()


def _status(value: str | None) -> SubscriberStatus | None:
    return SubscriberStatus(value) if value in set(SubscriberStatus) else None


@router.get("/admin/subscribers")
def subscribers_page(
    request: Request,
    admin: AdminDep,
    session: SessionDep,
    q: str = "",
    status: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    wanted = _status(status)
    known_total = None
    if not q.strip():
        # Without search text the total is a count by status: use the stored one
        # rather than counting 100k rows on every page view.
        by_status, _ = status_figure(session)
        known_total = by_status[wanted] if wanted else sum(by_status.values())
    result = search_subscribers(
        session, query=q[:320], status=wanted, page=page, known_total=known_total
    )
    base = "/admin/subscribers?" + urlencode({"q": q, "status": wanted.value if wanted else ""})
    context = {
        "result": result,
        "q": q,
        "status_filter": wanted.value if wanted else "",
        "statuses": [s.value for s in SubscriberStatus],
        "base": base + "&",
    }
    return render_admin(request, "admin/subscribers.html", admin, "subscribers", context)


@router.get("/admin/subscribers/export.csv")
def export_subscribers(
    admin: AdminDep, state: StateDep, session: SessionDep, status: str | None = None
) -> Response:
    wanted = _status(status)
    # End the request's (read-only) transaction now: on SQLite it would hold the
    # write lock for as long as the download streams.
    session.commit()

    def chunks() -> Iterator[str]:
        yield export_csv_header()
        after: int | None = 0
        while after is not None:
            # A short transaction per batch, so writers are never blocked for long.
            with transaction(state.session_factory) as batch_session:
                text, after = export_csv_batch(batch_session, after_id=after, status=wanted)
            yield text

    name = f"paperboy-subscribers-{utcnow():%Y%m%d-%H%M}.csv"
    return StreamingResponse(
        chunks(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/admin/subscribers/import")
def import_page(request: Request, admin: AdminDep) -> Response:
    # The upload is wired to app.subscriptions' importer (the `paperboy subscribers
    # import` path) once that module is on this branch.
    context = {"available": False}
    return render_admin(request, "admin/import.html", admin, "subscribers", context)


@router.get("/admin/subscribers/{subscriber_id}")
def subscriber_page(
    request: Request, subscriber_id: int, admin: AdminDep, session: SessionDep
) -> Response:
    try:
        detail = subscriber_detail(session, subscriber_id=subscriber_id)
    except SubscriberNotFound as error:
        raise HTTPException(status_code=404, detail="No such subscriber.") from error
    context = {"detail": detail, "subscriber": detail.subscriber}
    return render_admin(request, "admin/subscriber.html", admin, "subscribers", context)


@router.post("/admin/subscribers/{subscriber_id}/unsubscribe")
def unsubscribe(
    request: Request, subscriber_id: int, _csrf: CSRFProtected, admin: AdminDep, session: SessionDep
) -> Response:
    try:
        subscriber, changed = unsubscribe_by_admin(session, subscriber_id=subscriber_id)
    except SubscriberNotFound as error:
        raise HTTPException(status_code=404, detail="No such subscriber.") from error
    message = f"{subscriber.email} is unsubscribed." if changed else "Already unsubscribed."
    return redirect_with_flash(request, f"/admin/subscribers/{subscriber_id}", message)


@router.post("/admin/subscribers/{subscriber_id}/suppress")
def suppress(
    request: Request, subscriber_id: int, _csrf: CSRFProtected, admin: AdminDep, session: SessionDep
) -> Response:
    try:
        subscriber, changed = suppress_by_admin(
            session, subscriber_id=subscriber_id, detail=f"suppressed by {admin.email}"
        )
    except SubscriberNotFound as error:
        raise HTTPException(status_code=404, detail="No such subscriber.") from error
    message = (
        f"{subscriber.email} will never be mailed again." if changed else "Already suppressed."
    )
    return redirect_with_flash(request, f"/admin/subscribers/{subscriber_id}", message)
