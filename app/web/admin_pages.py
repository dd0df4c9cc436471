"""Rendering admin pages: the signed-in admin, the active nav item, a one-shot flash message.

The flash travels in the redirect's query string, signed, so a link from
elsewhere cannot put words on an admin page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from itsdangerous import BadSignature, URLSafeSerializer

from app.models import AdminUser
from app.web.rendering import render
from app.web.state import AppState

FLASH_SALT = "paperboy.admin-flash"


def _flash_serializer(request: Request) -> URLSafeSerializer:
    state: AppState = request.app.state.paperboy
    return URLSafeSerializer(state.secret_key, salt=FLASH_SALT)


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
            flash = str(_flash_serializer(request).loads(token))
        except BadSignature:
            flash = None
    full = {"admin": admin, "nav": nav, "flash": flash, **(context or {})}
    return render(request, template, full, status_code=status_code)
