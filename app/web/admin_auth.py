"""The admin session cookie and ``AdminDep``, the dependency every admin route takes.

Anonymous (or expired, or forged) visitors of an admin page are sent to
``/admin/login`` with a 303; the admin JSON API under ``/admin/api/`` answers
401 instead, since a polling script cannot follow a login form.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote, unquote, urlsplit

from fastapi import Depends, HTTPException, Request, Response

from app.admin.sessions import admin_for_session_token, issue_session_token
from app.config import Settings
from app.models import AdminUser
from app.urls import MAX_URL_LENGTH
from app.web.deps import SessionDep, StateDep

ADMIN_COOKIE = "paperboy_admin"
ADMIN_COOKIE_PATH = "/admin"
LOGIN_PATH = "/admin/login"


def require_admin(request: Request, state: StateDep, session: SessionDep) -> AdminUser:
    """The signed-in admin, or a redirect to the login page (401 for the admin API)."""
    token = request.cookies.get(ADMIN_COOKIE)
    admin = None
    if token:
        admin = admin_for_session_token(
            session,
            secret_key=state.secret_key,
            token=token,
            max_age_seconds=state.settings.admin_session_max_age_seconds,
        )
    if admin is not None:
        return admin
    if request.url.path.startswith("/admin/api/"):
        raise HTTPException(
            status_code=401,
            detail="Sign in at /admin/login first.",
            headers={"WWW-Authenticate": 'Cookie realm="paperboy-admin"'},
        )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise HTTPException(
        status_code=303,
        detail="Sign in first.",
        headers={"Location": f"{LOGIN_PATH}?next={quote(target, safe='/')}"},
    )


AdminDep = Annotated[AdminUser, Depends(require_admin)]


# "/admin", or below it with a path, query or fragment: printable ASCII only (browsers
# drop tabs and newlines from a URL, and read a backslash as a slash).
_ADMIN_PATH = re.compile(r"/admin(?:[/?#][\x21-\x5b\x5d-\x7e]*)?", re.ASCII)


def admin_path(target: str | None) -> str | None:
    """``target`` if a browser sent there stays inside the admin, else None.

    The one rule for every return address taken from a request (``next=`` of the
    login, the Referer an admin's refused action goes back to). Refused: another
    site (``//host``, ``/\\host``, ``https:host``), any path outside ``/admin``
    (``/administrator``), whitespace and control characters, a ``.`` or ``..``
    segment, plain or percent-encoded, which the browser resolves
    (``/admin/..//evil.example`` is ``//evil.example``), and more than a URL's length.
    """
    if not target or len(target) > MAX_URL_LENGTH or not _ADMIN_PATH.fullmatch(target):
        return None
    segments = unquote(urlsplit(target).path).split("/")
    if any(segment in (".", "..") for segment in segments):
        return None
    return target


def safe_next(target: str | None) -> str:
    """Where to go after signing in: the admin page asked for, else the overview."""
    return admin_path(target) or "/admin"


def start_admin_session(
    response: Response, *, settings: Settings, secret_key: str, admin: AdminUser
) -> None:
    """Set the signed session cookie on ``response``."""
    response.set_cookie(
        ADMIN_COOKIE,
        issue_session_token(secret_key, admin),
        max_age=settings.admin_session_max_age_seconds,
        path=ADMIN_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.served_over_https,
    )


def end_admin_session(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        ADMIN_COOKIE,
        path=ADMIN_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.served_over_https,
    )
