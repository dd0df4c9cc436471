"""The domain's one exception tree (``app.errors``), mapped to HTTP in one place.

Every ``PaperboyError`` carries its status, code and title. An API client gets
``{"detail": sentence, "code": code}`` (a token problem is a 404 there: the
token names no subscription it may see; a bad field is FastAPI's 422 shape). An
admin's refused action goes back to the page it came from with the sentence as
a flash message. Everyone else gets a page with a sentence that tells them what
to do. No route translates errors by hand.
"""

from __future__ import annotations

import logging
import math
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.errors import Conflict, PaperboyError
from app.subscriptions.errors import InvalidField, RateLimited, TokenError
from app.web.admin_auth import admin_path
from app.web.admin_pages import redirect_with_flash
from app.web.error_pages import wants_html
from app.web.rendering import render

log = logging.getLogger(__name__)


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _admin_return_path(request: Request) -> str | None:
    """Where an admin's refused POST goes back to: the admin page it came from."""
    if request.method != "POST" or not request.url.path.startswith("/admin/"):
        return None
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return None
    came_from = admin_path(referer.path)
    if came_from is not None:
        return came_from
    # The page of the thing acted on: /admin/editions/7/pause -> /admin/editions/7.
    return request.url.path.rsplit("/", 1)[0]


def _json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as strings (JSON has no such numbers) and lone
    surrogates ("\\ud800", which JSON can carry but UTF-8 cannot) as "?"."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_json_safe(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def _sentence(detail: list[dict[str, Any]]) -> str:
    """What was wrong with the address or form, for a person."""
    problems = "; ".join(
        f"{item['loc'][-1]}: {str(item.get('msg', 'not valid')).lower()}"
        for item in detail[:3]
        if item.get("loc")
    )
    return (
        f"Part of this link or form is not something Paperboy can use ({problems}). "
        "Check the link, or go back and try again."
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        # FastAPI's own shape, but a NaN, 1e999 or lone surrogate in the input is
        # echoed back as text (the default handler fails to encode it and answers 500).
        detail = _json_safe(jsonable_encoder(error.errors()))
        if wants_html(request):
            # A person who followed a mangled link (an admin URL with a 20-digit id,
            # a day past 9998) reads a sentence, not FastAPI's JSON.
            return render(
                request,
                "web/message.html",
                {"title": "This address cannot be opened", "message": _sentence(detail)},
                status_code=422,
            )
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(PaperboyError)
    async def domain_error(request: Request, error: PaperboyError) -> Response:
        status = error.status_code
        log.info("%s %s -> %s (%s)", request.method, request.url.path, status, error)
        headers = {}
        if isinstance(error, RateLimited):
            headers["Retry-After"] = str(error.retry_after_seconds)
        if is_api(request):
            if isinstance(error, TokenError):
                status = 404
            if isinstance(error, InvalidField):
                detail = [
                    {"loc": ["body", error.field], "msg": error.message, "type": "value_error"}
                ]
                return JSONResponse({"detail": detail}, status_code=status, headers=headers)
            return JSONResponse(
                {"detail": str(error), "code": error.error_code},
                status_code=status,
                headers=headers,
            )
        back = _admin_return_path(request) if isinstance(error, Conflict) else None
        if back is not None:
            return redirect_with_flash(request, back, str(error))
        # A broken confirmation link offers a new confirmation email right there.
        offer_resend = isinstance(error, TokenError) and request.url.path.startswith("/confirm/")
        response = render(
            request,
            "web/link_problem.html",
            {"title": error.title, "message": str(error), "offer_resend": offer_resend},
            status_code=status,
        )
        response.headers.update(headers)
        return response
