"""Signed admin session tokens (the value of the admin cookie).

The token names the admin and a fingerprint of their password hash, signed
with the app secret under a salt of its own, so no other signed value of the
product (a subscriber's manage or unsubscribe token, a CSRF token) is ever
accepted as an admin session, and changing a password signs every session out.
"""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from app.models import AdminUser

SESSION_SALT = "paperboy.admin-session"


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SESSION_SALT)


def _fingerprint(admin: AdminUser) -> str:
    return hashlib.sha256(admin.password_hash.encode()).hexdigest()[:16]


def issue_session_token(secret_key: str, admin: AdminUser) -> str:
    """A signed, timestamped token for ``admin``."""
    return str(_serializer(secret_key).dumps({"admin": admin.id, "fp": _fingerprint(admin)}))


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
    return admin
