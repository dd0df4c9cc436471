"""Admin accounts: argon2 password hashes and sign-in with lockout after repeated failures.

Exceptions::

    AdminAuthError
    ├── InvalidCredentials   wrong email or password (never says which)
    ├── AccountLocked        too many failures; carries ``locked_until``
    ├── AdminUserExists      ``create_admin_user`` for an email already registered
    └── WeakPassword         the password is too short to be accepted
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import PaperboyError
from app.models import AdminUser
from app.subscriptions.validation import address_key

MIN_PASSWORD_LENGTH = 10
# Lockouts double with every further failure past the threshold, up to a day.
MAX_LOCKOUT = timedelta(days=1)

_hasher = PasswordHasher()


class AdminAuthError(PaperboyError):
    """Base of the admin sign-in errors."""

    status_code = 401
    error_code = "sign_in_failed"


class InvalidCredentials(AdminAuthError):
    """The email is unknown or the password is wrong."""


class AccountLocked(AdminAuthError):
    """Too many failed sign-ins: the account refuses every password until ``locked_until``."""

    def __init__(self, locked_until: datetime) -> None:
        super().__init__(f"account locked until {locked_until.isoformat()}")
        self.locked_until = locked_until


class AdminUserExists(AdminAuthError):
    """An admin with this email already exists."""


class WeakPassword(AdminAuthError):
    """The password does not meet the minimum length."""


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (parameters embedded in the string)."""
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("paperboy-timing-equaliser")


def create_admin_user(session: Session, *, email: str, password: str) -> AdminUser:
    """Register an admin account; raises ``AdminUserExists`` or ``WeakPassword``."""
    address = address_key(email)
    if "@" not in address:
        raise InvalidCredentials(f"{email!r} is not an email address")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(AdminUser.id).where(AdminUser.email == address)) is not None:
        raise AdminUserExists(f"an admin account for {address} already exists")
    user = AdminUser(email=address, password_hash=hash_password(password), failed_logins=0)
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    max_failed_logins: int,
    lockout_seconds: int,
    now: datetime | None = None,
) -> AdminUser:
    """The admin whose credentials these are, or ``InvalidCredentials`` / ``AccountLocked``.

    Failures are recorded on the row (the caller must commit even when this raises):
    the ``max_failed_logins``-th failure in a row locks the account for
    ``lockout_seconds``, each further failure doubles the lock. Success resets.
    """
    now = now or utcnow()
    user = session.scalar(
        select(AdminUser).where(AdminUser.email == address_key(email)).with_for_update()
    )
    if user is None:
        # Spend the same time as a real check so response times do not reveal accounts.
        _verify(_dummy_hash(), password)
        raise InvalidCredentials("unknown email")
    if user.locked_until is not None and user.locked_until > now:
        raise AccountLocked(user.locked_until)
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        excess = user.failed_logins - max_failed_logins
        if excess >= 0:
            lock = min(timedelta(seconds=lockout_seconds) * 2 ** min(excess, 16), MAX_LOCKOUT)
            user.locked_until = now + lock
            raise AccountLocked(user.locked_until)
        raise InvalidCredentials("wrong password")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
