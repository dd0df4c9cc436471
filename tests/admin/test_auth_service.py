"""Admin accounts and sign-in, below HTTP: hashing, lockout and its backoff."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from app.admin.auth import (
    AccountLocked,
    AdminUserExists,
    InvalidCredentials,
    WeakPassword,
    authenticate,
    create_admin_user,
)
from app.db import utcnow
from app.models import AdminUser

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
