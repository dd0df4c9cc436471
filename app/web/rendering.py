"""Render a page template with what every page needs (CSRF token, settings, flash)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.web.csrf import csrf_token_for
from app.web.state import AppState


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """A TemplateResponse for ``template`` with ``csrf_token`` available to its forms."""
    state: AppState = request.app.state.paperboy
    full = {"csrf_token": csrf_token_for(request, state.secret_key), **(context or {})}
    return state.templates.TemplateResponse(request, template, full, status_code=status_code)
