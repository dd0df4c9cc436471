"""``/admin/login`` and ``/admin/logout``."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.admin.auth import (
    AccountLocked,
    AddressThrottled,
    InvalidCredentials,
    SignInThrottle,
    authenticate,
)
from app.admin.sessions import admin_for_session_token, sign_out
from app.web.admin_auth import ADMIN_COOKIE, end_admin_session, safe_next, start_admin_session
from app.web.csrf import CSRFProtected
from app.web.deps import SessionDep, StateDep
from app.web.ratelimit import RateLimiterDep, client_ip
from app.web.rendering import render

router = APIRouter()
log = logging.getLogger(__name__)


@router.get("/admin/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "admin/login.html", {"next": safe_next(next), "email": ""})


@router.post("/admin/login")
def login(
    request: Request,
    _csrf: CSRFProtected,
    state: StateDep,
    session: SessionDep,
    limiter: RateLimiterDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/admin",
) -> Response:
    settings = state.settings
    client = client_ip(request)
    throttle = SignInThrottle(
        limiter=limiter,
        client_address=client,
        per_email=settings.admin_max_failed_logins,
        per_address=settings.admin_max_failed_logins_per_address,
        window_seconds=settings.admin_lockout_seconds,
    )
    try:
        admin = authenticate(
            session,
            email=email,
            password=password,
            max_failed_logins=settings.admin_account_lock_failures,
            lockout_seconds=settings.admin_lockout_seconds,
            throttle=throttle,
        )
    except AddressThrottled as throttled:
        log.warning("admin sign-in refused (throttled) for %r from %s", email, client)
        error = (
            "Too many failed sign-ins from your network: signing in from here is locked "
            f"until {throttled.locked_until:%H:%M} UTC. Try again then."
        )
        return _login_again(request, email, next, error, status_code=429)
    except AccountLocked as locked:
        log.warning("admin sign-in refused (locked) for %r from %s", email, client)
        error = (
            "Too many failed sign-ins: this account is locked until "
            f"{locked.locked_until:%H:%M} UTC. Try again then."
        )
        return _login_again(request, email, next, error, status_code=429)
    except InvalidCredentials:
        log.warning("admin sign-in failed for %r from %s", email, client)
        return _login_again(request, email, next, "Wrong email or password.", status_code=401)
    log.info("admin %s signed in from %s", admin.email, client)
    response = RedirectResponse(safe_next(next), status_code=303)
    start_admin_session(response, settings=settings, secret_key=state.secret_key, admin=admin)
    return response


def _login_again(request: Request, email: str, next: str, error: str, status_code: int) -> Response:
    # Returning (not raising) lets the request commit the failure counter.
    context = {"next": safe_next(next), "email": email, "error": error}
    return render(request, "admin/login.html", context, status_code=status_code)


@router.post("/admin/logout")
def logout(
    request: Request, _csrf: CSRFProtected, state: StateDep, session: SessionDep
) -> Response:
    token = request.cookies.get(ADMIN_COOKIE)
    admin = token and admin_for_session_token(
        session,
        secret_key=state.secret_key,
        token=token,
        max_age_seconds=state.settings.admin_session_max_age_seconds,
    )
    if admin:
        sign_out(session, admin=admin)
    response = RedirectResponse("/admin/login", status_code=303)
    end_admin_session(response, state.settings)
    return response
