"""Rendering admin pages: the signed-in admin, the active nav item, a one-shot flash message.

The flash travels in the redirect's query string, signed, so a link from
elsewhere cannot put words on an admin page, and timed: a reload right after the
action shows it again, but a bookmark or a page reopened from history later does
not repeat "Test digest sent" as if it had just happened.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.models import AdminUser
from app.web.rendering import render
from app.web.state import AppState

FLASH_SALT = "paperboy.admin-flash"
# How long after the redirect its flash message is still shown.
FLASH_SECONDS = 120

# What an admin URL may name: ids an INTEGER column can hold, days whose date
# arithmetic cannot overflow, pages whose offset stays a database integer.
# Anything else is a 422 before any query runs (not a 500 from the database).
MAX_ROW_ID = 2**31 - 1
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(9998, 12, 31)
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]
DayQuery = Annotated[date | None, Query(ge=FIRST_DAY, le=LAST_DAY)]
DayForm = Annotated[date | None, Form(ge=FIRST_DAY, le=LAST_DAY)]


def _flash_serializer(request: Request) -> URLSafeTimedSerializer:
    state: AppState = request.app.state.paperboy
    return URLSafeTimedSerializer(state.secret_key, salt=FLASH_SALT)


def redirect_with_flash(request: Request, path: str, message: str) -> RedirectResponse:
    """303 to ``path`` (an admin path) showing ``message`` once."""
    separator = "&" if "?" in path else "?"
    token = _flash_serializer(request).dumps(message)
    return RedirectResponse(f"{path}{separator}{urlencode({'flash': token})}", status_code=303)


def render_admin(
    request: Request,
    template: str,
    admin: AdminUser,
    nav: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """An admin page with its nav, the admin and any flash message."""
    flash = None
    token = request.query_params.get("flash")
    if token:
        try:
            flash = str(_flash_serializer(request).loads(token, max_age=FLASH_SECONDS))
        except BadSignature:  # forged, or expired (SignatureExpired is a BadSignature)
            flash = None
    full = {"admin": admin, "nav": nav, "flash": flash, **(context or {})}
    return render(request, template, full, status_code=status_code)
