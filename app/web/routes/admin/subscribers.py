"""``/admin/subscribers``: search, detail, unsubscribe/suppress, CSV export and import."""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response, StreamingResponse
from starlette.datastructures import UploadFile as StarletteUploadFile

from app.admin.overview import status_figure
from app.admin.previews import (
    NothingToPreview,
    SuppressedRecipient,
    preview_digest,
    send_test_digest,
)
from app.admin.subscribers import (
    export_csv_batch,
    export_csv_header,
    search_subscribers,
    subscriber_detail,
    suppress_by_admin,
    unsubscribe_by_admin,
)
from app.db import transaction, utcnow
from app.errors import NotFound
from app.mailer.errors import DeliveryError
from app.mailer.transports import transport_for
from app.models import SubscriberStatus
from app.papers.listing import day_to_send
from app.subscriptions.errors import InvalidField
from app.subscriptions.importing import ImportFileError, import_subscribers_csv
from app.subscriptions.validation import normalise_email
from app.web.admin_auth import AdminDep
from app.web.admin_pages import (
    DayForm,
    DayQuery,
    PageNumber,
    RowId,
    redirect_with_flash,
    render_admin,
)
from app.web.csrf import CSRFProtected
from app.web.deps import SessionDep, SettingsDep, StateDep

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
    page: PageNumber = 1,
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
    return render_admin(request, "admin/import.html", admin, "subscribers", {"report": None})


async def uploaded_csv(request: Request) -> AsyncIterator[Path | None]:
    """The uploaded file saved under its own (sanitised) name in a temporary folder."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, StarletteUploadFile) or not upload.filename:
        yield None
        return
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(upload.filename).name)[:100] or "upload.csv"
    try:
        with tempfile.TemporaryDirectory(prefix="paperboy-import-") as folder:
            path = Path(folder) / name
            with path.open("wb") as handle:
                while chunk := await upload.read(1 << 16):
                    handle.write(chunk)
            yield path
    finally:
        # Starlette spools the upload to a temporary file that only we know to close.
        await upload.close()


@router.post("/admin/subscribers/import")
def import_upload(
    request: Request,
    # The admin check comes first, so an anonymous upload is turned away unread.
    admin: AdminDep,
    _csrf: CSRFProtected,
    session: SessionDep,
    path: Annotated[Path | None, Depends(uploaded_csv)],
) -> Response:
    if path is None:
        error = "Choose a CSV file to import."
        return render_admin(
            request, "admin/import.html", admin, "subscribers", {"error": error}, 400
        )
    try:
        # The same service as `paperboy subscribers import FILE.csv`.
        report = import_subscribers_csv(session, path=path)
    except ImportFileError as error:
        context = {"error": str(error)}
        return render_admin(request, "admin/import.html", admin, "subscribers", context, 400)
    done = {"report": report, "filename": path.name}
    return render_admin(request, "admin/import.html", admin, "subscribers", done)


@router.get("/admin/subscribers/{subscriber_id}")
def subscriber_page(
    request: Request, subscriber_id: RowId, admin: AdminDep, session: SessionDep
) -> Response:
    detail = subscriber_detail(session, subscriber_id=subscriber_id)
    context = {"detail": detail, "subscriber": detail.subscriber}
    return render_admin(request, "admin/subscriber.html", admin, "subscribers", context)


@router.get("/admin/subscribers/{subscriber_id}/preview")
def preview_page(
    request: Request,
    subscriber_id: RowId,
    admin: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    day: DayQuery = None,
) -> Response:
    detail = subscriber_detail(session, subscriber_id=subscriber_id)
    edition_date = day or day_to_send(session, utcnow().date())
    context: dict[str, object] = {
        "subscriber": detail.subscriber,
        "day": edition_date,
        "digest": None,
        "error": None,
    }
    try:
        context["digest"] = preview_digest(
            session, subscriber_id=subscriber_id, edition_date=edition_date, settings=settings
        )
    except NothingToPreview as nothing:
        context["error"] = str(nothing)
    return render_admin(request, "admin/preview.html", admin, "subscribers", context)


@router.post("/admin/subscribers/{subscriber_id}/send-test")
def send_test(
    request: Request,
    subscriber_id: RowId,
    _csrf: CSRFProtected,
    admin: AdminDep,
    session: SessionDep,
    settings: SettingsDep,
    to: Annotated[str, Form()] = "",
    day: DayForm = None,
) -> Response:
    edition_date = day or day_to_send(session, utcnow().date())
    back = f"/admin/subscribers/{subscriber_id}/preview?day={edition_date.isoformat()}"
    try:  # the checks a subscriber's address passes (length, encoded words, bidi controls)
        address = normalise_email(to)
    except InvalidField:
        return redirect_with_flash(request, back, f"{to!r} is not an email address.")
    try:
        with transport_for(settings.mail_url) as transport:
            send_test_digest(
                session,
                subscriber_id=subscriber_id,
                edition_date=edition_date,
                settings=settings,
                to=address,
                transport=transport,
            )
    except (NotFound, SuppressedRecipient) as error:  # no such subscriber, nothing to send
        return redirect_with_flash(request, back, f"Nothing sent: {error}.")
    except DeliveryError as error:
        return redirect_with_flash(request, back, f"The mail server refused it: {error}")
    return redirect_with_flash(request, back, f"Test digest sent to {address}.")


@router.post("/admin/subscribers/{subscriber_id}/unsubscribe")
def unsubscribe(
    request: Request,
    subscriber_id: RowId,
    _csrf: CSRFProtected,
    admin: AdminDep,
    session: SessionDep,
) -> Response:
    subscriber, changed = unsubscribe_by_admin(session, subscriber_id=subscriber_id)
    message = f"{subscriber.email} is unsubscribed." if changed else "Already unsubscribed."
    return redirect_with_flash(request, f"/admin/subscribers/{subscriber_id}", message)


@router.post("/admin/subscribers/{subscriber_id}/suppress")
def suppress(
    request: Request,
    subscriber_id: RowId,
    _csrf: CSRFProtected,
    admin: AdminDep,
    session: SessionDep,
) -> Response:
    subscriber, changed = suppress_by_admin(
        session, subscriber_id=subscriber_id, detail=f"suppressed by {admin.email}"
    )
    message = (
        f"{subscriber.email} will never be mailed again." if changed else "Already suppressed."
    )
    return redirect_with_flash(request, f"/admin/subscribers/{subscriber_id}", message)
