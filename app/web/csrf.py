"""CSRF protection for HTML forms: a signed double-submit token.

The cookie holds a random value; every form carries the same value signed with
the app's secret in a hidden ``csrf_token`` field. A POST without a matching,
valid pair gets 403. The one-click unsubscribe POST is the only exempt form.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeSerializer

from app.web.deps import StateDep

CSRF_COOKIE = "paperboy_csrf"
CSRF_FIELD = "csrf_token"


class CSRFError(Exception):
    """The form's CSRF token is missing or does not match the cookie."""


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt="paperboy.csrf")


def csrf_token_for(request: Request, secret_key: str) -> str:
    """The token to put in a form, creating the cookie value on first use."""
    value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_new_value", None)
    if not value:
        value = secrets.token_urlsafe(32)
        request.state.csrf_new_value = value
    return str(_serializer(secret_key).dumps(value))


def set_csrf_cookie(request: Request, response: Response, secure: bool) -> None:
    """Store the cookie half if this request created one."""
    value = getattr(request.state, "csrf_new_value", None)
    if value:
        response.set_cookie(
            CSRF_COOKIE, value, httponly=True, samesite="lax", secure=secure, path="/"
        )


def csrf_cookie_header(value: str, secure: bool) -> str:
    """The ``Set-Cookie`` value storing the cookie half (for middleware without a Response)."""
    response = Response()
    response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="lax", secure=secure, path="/")
    return response.headers["set-cookie"]


async def verify_csrf(request: Request, state: StateDep) -> None:
    """Dependency for state-changing form POSTs: 403 unless cookie and field agree."""
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not isinstance(submitted, str) or not cookie:
        raise CSRFError("missing CSRF token")
    try:
        expected = _serializer(state.secret_key).loads(submitted)
    except BadSignature as error:
        raise CSRFError("invalid CSRF token") from error
    # As bytes: compare_digest raises on non-ASCII text, and the cookie is the client's.
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), cookie.encode()):
        raise CSRFError("CSRF token does not match")


CSRFProtected = Annotated[None, Depends(verify_csrf)]
