"""``/admin/outbox``: the messages the embedded mail transport wrote to disk."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.admin.outbox import OutboxEntry, list_outbox, read_message
from app.errors import NotFound
from app.web.admin_auth import AdminDep
from app.web.admin_pages import PageNumber, render_admin
from app.web.deps import SettingsDep

router = APIRouter()
PAGE_SIZE = 50


@router.get("/admin/outbox")
def outbox_page(
    request: Request,
    admin: AdminDep,
    settings: SettingsDep,
    page: PageNumber = 1,
) -> Response:
    folder = settings.outbox_dir
    entries: list[OutboxEntry] = []
    total = 0
    if folder is not None:
        entries, total = list_outbox(folder, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    context = {
        "folder": folder,
        "entries": entries,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
    }
    return render_admin(request, "admin/outbox.html", admin, "outbox", context)


@router.get("/admin/outbox/{name}")
def outbox_message(request: Request, name: str, admin: AdminDep, settings: SettingsDep) -> Response:
    if settings.outbox_dir is None:
        raise NotFound("Mail is not written to an outbox (PAPERBOY_MAIL_URL is SMTP).")
    message = read_message(settings.outbox_dir, name)
    context = {"message": message}
    return render_admin(request, "admin/outbox_message.html", admin, "outbox", context)
