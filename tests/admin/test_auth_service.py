"""Admin accounts and sign-in, below HTTP: hashing, lockout and its backoff, throttling."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from app.admin.auth import (
    AccountLocked,
    AddressThrottled,
    AdminUserExists,
    InvalidCredentials,
    SignInThrottle,
    WeakPassword,
    authenticate,
    create_admin_user,
)
from app.db import utcnow
from app.models import AdminUser
from app.subscriptions.ratelimit import MemoryRateLimiter, client_network

PASSWORD = "a long enough password"


def _try(session: Session, password: str, now: datetime | None = None) -> AdminUser:
    return authenticate(
        session,
        email="Boss@Example.org",
        password=password,
        max_failed_logins=3,
        lockout_seconds=60,
        now=now,
    )


def test_password_is_stored_as_an_argon2_hash_never_in_clear(session: Session) -> None:
    admin = create_admin_user(session, email="boss@example.org", password=PASSWORD)
    assert admin.password_hash.startswith("$argon2id$")
    assert PASSWORD not in admin.password_hash


def test_right_password_signs_in_and_email_case_does_not_matter(session: Session) -> None:
    create_admin_user(session, email="boss@example.org", password=PASSWORD)
    admin = _try(session, PASSWORD)
    assert admin.last_login_at is not None


def test_duplicate_account_and_short_password_are_refused(session: Session) -> None:
    create_admin_user(session, email="boss@example.org", password=PASSWORD)
    with pytest.raises(AdminUserExists):
        create_admin_user(session, email="BOSS@example.org", password=PASSWORD)
    with pytest.raises(WeakPassword):
        create_admin_user(session, email="other@example.org", password="short")


def test_unknown_email_and_wrong_password_look_the_same(session: Session) -> None:
    create_admin_user(session, email="boss@example.org", password=PASSWORD)
    with pytest.raises(InvalidCredentials):
        _try(session, "wrong password")
    with pytest.raises(InvalidCredentials):
        authenticate(
            session,
            email="nobody@example.org",
            password=PASSWORD,
            max_failed_logins=3,
            lockout_seconds=60,
        )


def test_lockout_refuses_even_the_right_password_then_lifts(session: Session) -> None:
    create_admin_user(session, email="boss@example.org", password=PASSWORD)
    now = utcnow()
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            _try(session, "wrong", now=now)
    with pytest.raises(AccountLocked) as locked:
        _try(session, "wrong", now=now)
    assert locked.value.locked_until == now + timedelta(seconds=60)
    with pytest.raises(AccountLocked):
        _try(session, PASSWORD, now=now + timedelta(seconds=59))
    assert _try(session, PASSWORD, now=now + timedelta(seconds=61))


def test_each_failure_past_the_threshold_doubles_the_lock(session: Session) -> None:
    create_admin_user(session, email="boss@example.org", password=PASSWORD)
    now = utcnow()
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            _try(session, "wrong", now=now)
    with pytest.raises(AccountLocked):
        _try(session, "wrong", now=now)
    later = now + timedelta(seconds=61)
    with pytest.raises(AccountLocked) as locked:
        _try(session, "wrong", now=later)
    assert locked.value.locked_until == later + timedelta(seconds=120)


def test_success_resets_the_failure_count(session: Session) -> None:
    admin = create_admin_user(session, email="boss@example.org", password=PASSWORD)
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            _try(session, "wrong")
    _try(session, PASSWORD)
    assert admin.failed_logins == 0
    with pytest.raises(InvalidCredentials):
        _try(session, "wrong")


def _throttle(address: str, limiter: MemoryRateLimiter) -> SignInThrottle:
    return SignInThrottle(
        limiter=limiter, client_address=address, per_email=3, per_address=5, window_seconds=600
    )


def _try_from(
    session: Session, address: str, limiter: MemoryRateLimiter, password: str, email: str = ""
) -> AdminUser:
    return authenticate(
        session,
        email=email or "boss@example.org",
        password=password,
        max_failed_logins=10,
        lockout_seconds=60,
        throttle=_throttle(address, limiter),
    )


def test_failures_from_one_address_refuse_that_address_only(session: Session) -> None:
    create_admin_user(session, email="boss@example.org", password=PASSWORD)
    limiter = MemoryRateLimiter()
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            _try_from(session, "203.0.113.1", limiter, "wrong")
    with pytest.raises(AddressThrottled):
        _try_from(session, "203.0.113.1", limiter, "wrong")
    with pytest.raises(AddressThrottled):
        _try_from(session, "203.0.113.1", limiter, PASSWORD)
    admin = _try_from(session, "198.51.100.1", limiter, PASSWORD)
    assert admin.locked_until is None and admin.failed_logins == 0


def test_a_throttled_address_spends_no_failure_on_the_account(session: Session) -> None:
    admin = create_admin_user(session, email="boss@example.org", password=PASSWORD)
    limiter = MemoryRateLimiter()
    for _ in range(50):
        with pytest.raises((InvalidCredentials, AddressThrottled)):
            _try_from(session, "203.0.113.1", limiter, "wrong")
    assert admin.failed_logins == 3 and admin.locked_until is None


def test_unknown_and_known_emails_are_throttled_alike(session: Session) -> None:
    create_admin_user(session, email="boss@example.org", password=PASSWORD)
    limiter = MemoryRateLimiter()
    outcomes = {}
    for address, email in [("203.0.113.1", "boss@example.org"), ("203.0.113.2", "nobody@x.org")]:
        seen = []
        for _ in range(4):
            try:
                _try_from(session, address, limiter, "wrong", email=email)
            except (InvalidCredentials, AddressThrottled) as error:
                seen.append(type(error).__name__)
        outcomes[email] = seen
    assert (
        outcomes["boss@example.org"]
        == outcomes["nobody@x.org"]
        == [
            "InvalidCredentials",
            "InvalidCredentials",
            "AddressThrottled",
            "AddressThrottled",
        ]
    )


def test_one_address_is_refused_after_its_failures_over_all_emails(session: Session) -> None:
    create_admin_user(session, email="boss@example.org", password=PASSWORD)
    limiter = MemoryRateLimiter()
    for n in range(4):
        with pytest.raises(InvalidCredentials):
            _try_from(session, "203.0.113.1", limiter, "wrong", email=f"guess{n}@example.org")
    with pytest.raises(AddressThrottled):
        _try_from(session, "203.0.113.1", limiter, "wrong", email="guess9@example.org")
    with pytest.raises(AddressThrottled):
        _try_from(session, "203.0.113.1", limiter, PASSWORD)
    assert _try_from(session, "198.51.100.1", limiter, PASSWORD)


def test_failures_spread_over_addresses_lock_the_account_at_its_own_threshold(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    admin = create_admin_user(session, email="boss@example.org", password=PASSWORD)
    limiter = MemoryRateLimiter()
    for n in range(9):
        with pytest.raises(InvalidCredentials):
            _try_from(session, f"203.0.113.{n}", limiter, "wrong")
    assert admin.locked_until is None
    with pytest.raises(AccountLocked):
        _try_from(session, "203.0.113.200", limiter, "wrong")
    assert "admin account boss@example.org locked" in caplog.text
    with pytest.raises(AccountLocked):
        _try_from(session, "198.51.100.1", limiter, PASSWORD)


def test_one_ipv6_host_counts_as_one_client_whatever_address_of_its_64_it_uses(
    session: Session,
) -> None:
    create_admin_user(session, email="boss@example.org", password=PASSWORD)
    limiter = MemoryRateLimiter()
    for n in range(2):
        with pytest.raises(InvalidCredentials):
            _try_from(session, f"2001:db8:1:2::{n + 1:x}", limiter, "wrong")
    with pytest.raises(AddressThrottled):
        _try_from(session, "2001:db8:1:2:ffff::9", limiter, "wrong")
    with pytest.raises(AddressThrottled):
        _try_from(session, "2001:db8:1:2::77", limiter, PASSWORD)
    assert _try_from(session, "2001:db8:1:3::1", limiter, PASSWORD)  # another /64


def test_clients_are_counted_by_ipv4_address_or_ipv6_64() -> None:
    assert client_network("203.0.113.9") == "203.0.113.9"
    assert client_network("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert client_network("::ffff:203.0.113.9") == "203.0.113.9"
    assert client_network("testclient") == "testclient"
