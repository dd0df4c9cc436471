"""Admin accounts: argon2 password hashes and sign-in, throttled where the failures come from.

Failed sign-ins are limited in two places. From one client address, a few failures on
one email (and somewhat more over all emails) refuse that address for a while: a script
guessing from one network is slowed down, while the real admin signing in from another
network is not affected. Only a much larger run of failures in a row, which takes an
attacker many addresses, locks the account itself (and says so in the log).

Exceptions::

    AdminAuthError
    ├── InvalidCredentials   wrong email or password (never says which)
    ├── AddressThrottled     too many failures from this client address; carries ``locked_until``
    ├── AccountLocked        too many failures on the account from anywhere; ``locked_until``
    ├── AdminUserExists      ``create_admin_user`` for an email already registered
    └── WeakPassword         the password is too short to be accepted
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.errors import PaperboyError
from app.models import AdminUser
from app.subscriptions.ratelimit import RateLimiter, client_network
from app.subscriptions.validation import address_key

log = logging.getLogger(__name__)

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


class AddressThrottled(AdminAuthError):
    """Too many failed sign-ins from one client address: it may not try until ``locked_until``.

    Raised alike for known and unknown emails, so it says nothing about which exist.
    """

    def __init__(self, locked_until: datetime) -> None:
        super().__init__(f"sign-ins from this address refused until {locked_until.isoformat()}")
        self.locked_until = locked_until


class AccountLocked(AdminAuthError):
    """Too many failed sign-ins: the account refuses every password until ``locked_until``."""

    def __init__(self, locked_until: datetime) -> None:
        super().__init__(f"account locked until {locked_until.isoformat()}")
        self.locked_until = locked_until


@dataclass(frozen=True)
class SignInThrottle:
    """Failed sign-ins counted per (email, client address) and per client address.

    ``client_address`` is the address the web app believes (a trusted proxy's
    ``X-Forwarded-For``, else the peer), counted by its ``client_network``. The
    ``per_email``-th failure on one email from that network, or the ``per_address``-th
    over all emails, refuses it (for that email, or for all) until the
    ``window_seconds`` window is over.
    """

    limiter: RateLimiter
    client_address: str
    per_email: int
    per_address: int
    window_seconds: int

    def _limits(self, email: str) -> list[tuple[str, int]]:
        # The email as typed (unvalidated): bounded, so a key stays small whatever is sent.
        network = client_network(self.client_address)
        return [
            (f"admin-login:{email[:320]}:{network}", self.per_email),
            (f"admin-login-ip:{network}", self.per_address),
        ]

    def check(self, email: str, now: datetime) -> None:
        """Raise ``AddressThrottled`` if this address may not try ``email`` now."""
        for key, failures in self._limits(email):
            # "Over failures - 1" counted: the failures-th failure already refuses.
            wait = self.limiter.blocked(key, limit=failures - 1, window_seconds=self.window_seconds)
            if wait is not None:
                raise AddressThrottled(now + timedelta(seconds=wait))

    def failed(self, email: str, now: datetime) -> datetime | None:
        """Count one failure; until when the address is refused if this one reached a limit."""
        refused: datetime | None = None
        for key, failures in self._limits(email):
            wait = self.limiter.hit(key, limit=failures - 1, window_seconds=self.window_seconds)
            if wait is not None:
                until = now + timedelta(seconds=wait)
                refused = until if refused is None else max(refused, until)
        return refused


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


class UnknownAdmin(AdminAuthError):
    """No admin account has this email."""

    @classmethod
    def of(cls, email: str) -> UnknownAdmin:
        return cls(f"there is no admin account for {address_key(email)}")


def admin_for_email(session: Session, email: str, *, lock: bool = False) -> AdminUser | None:
    """The admin account signed in to as ``email`` (any case), its row locked if asked."""
    query = select(AdminUser).where(AdminUser.email == address_key(email))
    return session.scalar(query.with_for_update() if lock else query)


def set_admin_password(session: Session, *, email: str, password: str) -> AdminUser:
    """Give an admin a new password (``UnknownAdmin``, ``WeakPassword``): it signs every
    session of theirs out (a session carries the old hash's fingerprint) and lifts a
    lock, so an admin who forgot their password or locked themselves out gets back in."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user = admin_for_email(session, email, lock=True)
    if user is None:
        raise UnknownAdmin.of(email)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    return user


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    max_failed_logins: int,
    lockout_seconds: int,
    throttle: SignInThrottle | None = None,
    now: datetime | None = None,
) -> AdminUser:
    """The admin whose credentials these are, or ``InvalidCredentials`` / ``AddressThrottled``
    / ``AccountLocked``.

    A ``throttle`` refuses a client address after its failures (before any password is
    checked) and counts each new failure. Failures are also recorded on the account row
    (the caller must commit even when this raises): the ``max_failed_logins``-th failure
    in a row from anywhere locks the account for ``lockout_seconds``, each further
    failure doubles the lock. Success resets the row's count.
    """
    now = now or utcnow()
    address = address_key(email)
    if throttle is not None:
        throttle.check(address, now)
    user = admin_for_email(session, address, lock=True)
    if user is None:
        # Spend the same time as a real check so response times do not reveal accounts.
        _verify(_dummy_hash(), password)
        _refuse_if_throttled(throttle.failed(address, now) if throttle else None)
        raise InvalidCredentials("unknown email")
    if user.locked_until is not None and user.locked_until > now:
        raise AccountLocked(user.locked_until)
    if not _verify(user.password_hash, password):
        user.failed_logins += 1
        refused_until = throttle.failed(address, now) if throttle else None
        excess = user.failed_logins - max_failed_logins
        if excess >= 0:
            lock = min(timedelta(seconds=lockout_seconds) * 2 ** min(excess, 16), MAX_LOCKOUT)
            user.locked_until = now + lock
            log.warning(
                "admin account %s locked until %s after %d failed sign-ins in a row",
                user.email,
                user.locked_until.isoformat(),
                user.failed_logins,
            )
            raise AccountLocked(user.locked_until)
        _refuse_if_throttled(refused_until)
        raise InvalidCredentials("wrong password")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _refuse_if_throttled(refused_until: datetime | None) -> None:
    if refused_until is not None:
        raise AddressThrottled(refused_until)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
