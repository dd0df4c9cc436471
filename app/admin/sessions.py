"""Signed admin session tokens (the value of the admin cookie).

The token names the admin and a fingerprint of their password hash, signed
with the app secret under a salt of its own, so no other signed value of the
product (a subscriber's manage or unsubscribe token, a CSRF token) is ever
accepted as an admin session, and changing a password signs every session out.
Signing out ends every session issued before it, server-side: a copied cookie
stops working too.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import AdminUser

SESSION_SALT = "paperboy.admin-session"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SESSION_SALT)


def _fingerprint(admin: AdminUser) -> str:
    return hashlib.sha256(admin.password_hash.encode()).hexdigest()[:16]


def issue_session_token(secret_key: str, admin: AdminUser) -> str:
    """A signed, timestamped token for ``admin``."""
    payload = {"admin": admin.id, "fp": _fingerprint(admin), "iat": time.time()}
    return str(_serializer(secret_key).dumps(payload))


def admin_for_session_token(
    session: Session, *, secret_key: str, token: str, max_age_seconds: int
) -> AdminUser | None:
    """The admin a token belongs to, or None when it is forged, expired or revoked."""
    try:
        payload = _serializer(secret_key).loads(token, max_age=max_age_seconds)
    except BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("admin"), int):
        return None
    admin = session.get(AdminUser, payload["admin"])
    if admin is None or payload.get("fp") != _fingerprint(admin):
        return None
    issued = payload.get("iat")
    if admin.signed_out_at is not None and (
        not isinstance(issued, int | float)
        or datetime.fromtimestamp(issued, UTC) <= admin.signed_out_at
    ):
        return None
    return admin


def sign_out(session: Session, *, admin: AdminUser) -> None:
    """End every session of ``admin`` issued until now."""
    admin.signed_out_at = utcnow()
    session.flush()
