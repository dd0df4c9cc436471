"""The subscription exception tree, mapped to HTTP in one place (pages and JSON API).

A visitor sees a page with a sentence that tells them what to do; an API
client gets the status below (404 instead of 400 for token problems: the token
names no subscription it may see) and ``{"detail": sentence, "code": code}``.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from app.subscriptions.errors import (
    ExpiredToken,
    InvalidField,
    InvalidToken,
    RateLimited,
    RevokedToken,
    SubscriptionEnded,
    SubscriptionError,
    SubscriptionNotConfirmable,
    TokenError,
)
from app.web.rendering import render

log = logging.getLogger(__name__)

# Most specific first: the first matching class wins.
STATUS: list[tuple[type[SubscriptionError], int, str]] = [
    (ExpiredToken, 400, "expired_token"),
    (RevokedToken, 400, "revoked_token"),
    (InvalidToken, 400, "invalid_token"),
    (SubscriptionNotConfirmable, 409, "subscription_ended"),
    (SubscriptionEnded, 409, "subscription_ended"),
    (RateLimited, 429, "rate_limited"),
    (InvalidField, 422, "invalid_field"),
    (SubscriptionError, 400, "subscription_error"),
]

TITLES = {
    "expired_token": "This link has expired",
    "revoked_token": "This link is no longer valid",
    "invalid_token": "This link is not valid",
    "subscription_ended": "This subscription has ended",
    "rate_limited": "Slow down a little",
}


def status_for(error: SubscriptionError) -> tuple[int, str]:
    for error_class, status, code in STATUS:
        if isinstance(error, error_class):
            return status, code
    return 400, "subscription_error"  # pragma: no cover - SubscriptionError is last above


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SubscriptionError)
    async def subscription_error(request: Request, error: SubscriptionError) -> Response:
        status, code = status_for(error)
        log.info("%s %s -> %s (%s)", request.method, request.url.path, status, error)
        headers = {}
        if isinstance(error, RateLimited):
            headers["Retry-After"] = str(error.retry_after_seconds)
        if is_api(request):
            if isinstance(error, TokenError):
                # For an API client a bad token names no subscription it may see.
                status = 404
            if isinstance(error, InvalidField):
                detail = [
                    {"loc": ["body", error.field], "msg": error.message, "type": "value_error"}
                ]
                return JSONResponse({"detail": detail}, status_code=status, headers=headers)
            return JSONResponse(
                {"detail": str(error), "code": code}, status_code=status, headers=headers
            )
        # A broken confirmation link offers a new confirmation email right there.
        offer_resend = code.endswith("_token") and request.url.path.startswith("/confirm/")
        response = render(
            request,
            "web/link_problem.html",
            {
                "title": TITLES.get(code, "Something went wrong"),
                "message": str(error),
                "offer_resend": offer_resend,
            },
            status_code=status,
        )
        response.headers.update(headers)
        return response
