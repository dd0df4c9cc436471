"""Signing in to the admin over HTTP: who gets in, who is sent to the login page."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.admin.sessions import SESSION_SALT
from app.cli.serve import proxy_options
from app.config import Settings
from app.models import AdminUser
from app.web.admin_auth import ADMIN_COOKIE
from tests.admin.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, csrf_from, sign_in
from tests.factories import TEST_SECRET, make_test_settings


def _routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    # FastAPI keeps included routers as branches (the admin routes use full paths).
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def _admin_get_paths(app: FastAPI) -> list[str]:
    return [
        re.sub(r"\{[^}]+\}", "1", route.path)
        for route in _routes(app.routes)
        if "GET" in route.methods
        and route.path.startswith("/admin")
        and route.path != "/admin/login"
    ]


def test_every_admin_page_sends_an_anonymous_visitor_to_the_login_page(
    anonymous_client: TestClient, admin_app: FastAPI
) -> None:
    pages = [p for p in _admin_get_paths(admin_app) if not p.startswith("/admin/api/")]
    assert "/admin" in pages
    for page in pages:
        response = anonymous_client.get(page)
        assert response.status_code == 303, page
        assert response.headers["location"].startswith("/admin/login?next="), page


def test_no_admin_answer_is_kept_by_a_shared_cache(
    admin_client: TestClient, admin_app: FastAPI
) -> None:
    # Subscribers' addresses, the CSV export, the live progress: for this admin only.
    for page in [*_admin_get_paths(admin_app), "/admin/login"]:
        response = admin_client.get(page)
        directives = {d.strip() for d in response.headers.get("cache-control", "").split(",")}
        assert {"private", "no-store"} <= directives, (page, response.status_code)


def test_the_admin_api_answers_an_anonymous_caller_with_401(
    anonymous_client: TestClient, admin_app: FastAPI
) -> None:
    for path in [p for p in _admin_get_paths(admin_app) if p.startswith("/admin/api/")]:
        response = anonymous_client.get(path)
        assert response.status_code == 401, path
        assert response.json()["detail"]


def test_login_page_has_an_email_and_a_password_field(anonymous_client: TestClient) -> None:
    html = anonymous_client.get("/admin/login").text
    assert 'name="email"' in html and 'type="password"' in html


def test_right_password_opens_the_dashboard(admin_client: TestClient) -> None:
    response = admin_client.get("/admin")
    assert response.status_code == 200
    assert "Overview" in response.text and "Sign out" in response.text


def test_session_cookie_is_httponly_and_samesite_lax(
    anonymous_client: TestClient, admin_account: AdminUser
) -> None:
    response = sign_in(anonymous_client, ADMIN_EMAIL, ADMIN_PASSWORD)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{ADMIN_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # BASE_URL is http here


def test_session_cookie_is_secure_when_base_url_is_https(
    clean_db: Engine, tmp_path: Path, admin_account: AdminUser
) -> None:
    from app.web.app import create_app

    settings = make_test_settings(tmp_path, base_url="https://paperboy.example")
    with TestClient(
        create_app(settings, clean_db), base_url="https://testserver", follow_redirects=False
    ) as client:
        response = sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


def test_wrong_password_shows_an_error_and_grants_nothing(
    anonymous_client: TestClient, admin_account: AdminUser
) -> None:
    response = sign_in(anonymous_client, ADMIN_EMAIL, "not the password")
    assert response.status_code == 401
    assert "Wrong email or password" in response.text
    assert ADMIN_COOKIE not in response.headers.get("set-cookie", "")
    assert anonymous_client.get("/admin").status_code == 303


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    anonymous_client: TestClient, admin_account: AdminUser, clean_db: Engine
) -> None:
    # The default settings lock this client address out of the account after 5 failures.
    for _ in range(4):
        assert sign_in(anonymous_client, ADMIN_EMAIL, "guess").status_code == 401
    locked = sign_in(anonymous_client, ADMIN_EMAIL, "guess")
    assert locked.status_code == 429 and "locked" in locked.text
    refused = sign_in(anonymous_client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert refused.status_code == 429
    assert anonymous_client.get("/admin").status_code == 303
    with Session(clean_db) as session:
        admin = session.scalars(select(AdminUser)).one()
        # Counted on the account, but five failures lock only the address they came from.
        assert admin.failed_logins == 5 and admin.locked_until is None


@contextmanager
def _from_address(
    app: FastAPI, settings: Settings, address: str, *, peer: str = "127.0.0.1"
) -> Iterator[TestClient]:
    """A browser at ``address`` seen through a proxy on ``peer``, as ``paperboy run`` serves."""
    options = proxy_options(settings)
    proxied = ProxyHeadersMiddleware(app, trusted_hosts=str(options["forwarded_allow_ips"]))
    with TestClient(
        proxied,
        client=(peer, 50000),
        headers={"x-forwarded-for": address},
        follow_redirects=False,
    ) as client:
        yield client


def test_a_bad_login_storm_from_one_ip_does_not_stop_the_admin_signing_in_from_another_ip(
    admin_app: FastAPI, admin_settings: Settings, admin_account: AdminUser, clean_db: Engine
) -> None:
    with _from_address(admin_app, admin_settings, "203.0.113.66") as attacker:
        answers = [sign_in(attacker, ADMIN_EMAIL, f"guess {n}").status_code for n in range(30)]
        assert answers[:4] == [401] * 4 and set(answers[4:]) == {429}
        # The attacker's address is refused even the right password.
        assert sign_in(attacker, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 429
    with _from_address(admin_app, admin_settings, "198.51.100.7") as admin:
        assert sign_in(admin, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303
        assert admin.get("/admin").status_code == 200
    with Session(clean_db) as session:
        assert session.scalars(select(AdminUser)).one().locked_until is None


def test_forwarded_for_from_an_untrusted_peer_does_not_give_a_storm_fresh_addresses(
    admin_app: FastAPI, admin_settings: Settings, admin_account: AdminUser
) -> None:
    # A client that is not a trusted proxy cannot pose as a new address per request.
    answers = []
    for n in range(6):
        with _from_address(admin_app, admin_settings, f"192.0.2.{n}", peer="10.9.9.9") as bot:
            answers.append(sign_in(bot, ADMIN_EMAIL, "guess").status_code)
    assert answers == [401] * 4 + [429] * 2


def test_one_address_guessing_many_emails_is_refused_after_twenty_failures(
    admin_app: FastAPI, admin_settings: Settings, admin_account: AdminUser
) -> None:
    with _from_address(admin_app, admin_settings, "203.0.113.67") as sprayer:
        answers = [
            sign_in(sprayer, f"guess{n}@paperboy.test", "guess").status_code for n in range(21)
        ]
        assert answers[:19] == [401] * 19 and answers[19:] == [429, 429]
        assert sign_in(sprayer, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 429
    with _from_address(admin_app, admin_settings, "198.51.100.8") as admin:
        assert sign_in(admin, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303


def test_a_hundred_failures_in_a_row_from_many_addresses_lock_the_account_itself(
    admin_app: FastAPI,
    admin_settings: Settings,
    admin_account: AdminUser,
    clean_db: Engine,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # An attacker spreading guesses over addresses stays under every per-address limit
    # (4 tries each); the account-wide count is what stops them, at 100 in a row.
    for n in range(25):
        with _from_address(admin_app, admin_settings, f"203.0.113.{n}") as bot:
            answers = [sign_in(bot, ADMIN_EMAIL, "guess").status_code for _ in range(4)]
            assert answers == ([401] * 3 + [429] if n == 24 else [401] * 4), n
    assert "admin account admin@paperboy.test locked" in caplog.text
    with _from_address(admin_app, admin_settings, "198.51.100.9") as admin:
        refused = sign_in(admin, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert refused.status_code == 429 and "this account is locked" in refused.text
    with Session(clean_db) as session:
        admin_row = session.scalars(select(AdminUser)).one()
        assert admin_row.failed_logins == 100 and admin_row.locked_until is not None


def test_login_without_csrf_token_is_refused_with_403(
    anonymous_client: TestClient, admin_account: AdminUser
) -> None:
    anonymous_client.get("/admin/login")  # has the cookie half, not the field
    response = anonymous_client.post(
        "/admin/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 403
    assert ADMIN_COOKIE not in response.headers.get("set-cookie", "")


def test_sign_out_needs_csrf_and_then_ends_the_session(admin_client: TestClient) -> None:
    assert admin_client.post("/admin/logout").status_code == 403
    assert admin_client.get("/admin").status_code == 200
    token = csrf_from(admin_client.get("/admin").text)
    response = admin_client.post("/admin/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert admin_client.get("/admin").status_code == 303


def test_a_copied_session_cookie_stops_working_after_sign_out(
    admin_client: TestClient, admin_app: FastAPI
) -> None:
    stolen = admin_client.cookies.get(ADMIN_COOKIE)
    assert stolen
    token = csrf_from(admin_client.get("/admin").text)
    assert admin_client.post("/admin/logout", data={"csrf_token": token}).status_code == 303
    with TestClient(admin_app, follow_redirects=False) as thief:
        thief.cookies.set(ADMIN_COOKIE, stolen, path="/admin")
        export = thief.get("/admin/subscribers/export.csv")
    assert export.status_code == 303 and export.headers["location"].startswith("/admin/login")
    assert sign_in(admin_client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 303
    assert admin_client.get("/admin").status_code == 200  # signing in again works


def test_an_expired_session_is_sent_back_to_the_login_page(
    anonymous_client: TestClient, admin_account: AdminUser
) -> None:
    max_age = make_test_settings(Path("unused")).admin_session_max_age_seconds

    class SignedLongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - max_age - 60

    old = URLSafeTimedSerializer(TEST_SECRET, salt=SESSION_SALT, signer=SignedLongAgo)
    anonymous_client.cookies.set(
        ADMIN_COOKIE, old.dumps({"admin": admin_account.id}), path="/admin"
    )
    assert anonymous_client.get("/admin").status_code == 303


def test_a_subscriber_token_cannot_open_the_admin(
    anonymous_client: TestClient, admin_account: AdminUser
) -> None:
    # Subscriber links are signed with the same secret (salts as in app.subscriptions.tokens);
    # neither their payload nor even an admin-shaped payload under their salt gets in.
    salts = [f"paperboy.subscription.{p}" for p in ("confirm", "manage", "unsubscribe")]
    payloads: list[object] = [[admin_account.id, 1], {"admin": admin_account.id}]
    for salt, payload in [(s, p) for s in [*salts, "paperboy.csrf"] for p in payloads]:
        token = URLSafeTimedSerializer(TEST_SECRET, salt=salt).dumps(payload)
        anonymous_client.cookies.set(ADMIN_COOKIE, token, path="/admin")
        assert anonymous_client.get("/admin").status_code == 303
        anonymous_client.cookies.clear()
        response = anonymous_client.get(
            "/admin/api/editions/1/progress", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401


@pytest.mark.parametrize(
    "next_",
    [
        "//evil.example/admin",
        "/\\evil.example",
        "\\/evil.example",
        "https:evil.example",
        "%2F%2Fevil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        # Inside /admin as written, outside once the browser resolves the dot segments:
        "/admin/..//evil.example",
        "/admin/%2e%2e//evil.example",
        "/admin/.%2E/unsubscribe/x",
        "/admin/../../evil.example",
        "/administrator",
        "/admin\t",
        "/admin/\r\nSet-Cookie: x=1",
        "/admin/" + "a" * 5000,
    ],
)
def test_next_parameter_cannot_send_an_admin_outside_the_admin(
    anonymous_client: TestClient, admin_account: AdminUser, next_: str
) -> None:
    page = anonymous_client.get("/admin/login", params={"next": next_})
    assert 'name="next" value="/admin"' in page.text
    response = anonymous_client.post(
        "/admin/login",
        data={
            "email": ADMIN_EMAIL,
            "password": ADMIN_PASSWORD,
            "csrf_token": csrf_from(page.text),
            "next": next_,
        },
    )
    assert response.headers["location"] == "/admin"


def test_next_parameter_brings_an_admin_back_to_the_page_asked_for(
    anonymous_client: TestClient, admin_account: AdminUser
) -> None:
    asked = anonymous_client.get("/admin/subscribers?q=%C3%A9t%C3%A9&status=active")
    login = anonymous_client.get(asked.headers["location"])
    token = csrf_from(login.text)
    response = anonymous_client.post(
        "/admin/login",
        data={
            "email": ADMIN_EMAIL,
            "password": ADMIN_PASSWORD,
            "csrf_token": token,
            "next": "/admin/subscribers?q=%C3%A9t%C3%A9&status=active",
        },
    )
    assert response.headers["location"] == "/admin/subscribers?q=%C3%A9t%C3%A9&status=active"
    assert 'value="/admin/subscribers?q=%C3%A9t%C3%A9&amp;status=active"' in login.text


def test_cli_creates_an_admin_from_two_stdin_lines(tmp_path: Path) -> None:
    from app.migrations import upgrade_database

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade_database(url)
    env = {"PAPERBOY_DATABASE_URL": url, "PAPERBOY_VAR_DIR": str(tmp_path / "var"), "PATH": ""}
    command = [sys.executable, "-c", "from app.cli import main; main()", "admin", "create-user"]

    def create(email: str, stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, email],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            cwd=Path(__file__).resolve().parents[2],
            check=False,
        )

    ok = create("Ops@Example.org", "a long enough password\na long enough password\n")
    assert ok.returncode == 0, ok.stderr
    assert "ops@example.org" in ok.stdout
    mismatch = create("two@example.org", "a long enough password\nsomething else entirely\n")
    assert mismatch.returncode == 1 and "do not match" in mismatch.stderr
    again = create("ops@example.org", "a long enough password\na long enough password\n")
    assert again.returncode == 1 and "already exists" in again.stderr
    assert "paperboy admin set-password" in again.stderr  # the way to a new password


def _set_password(engine: Engine, email: str, stdin: str) -> subprocess.CompletedProcess[str]:
    url = engine.url.render_as_string(hide_password=False)
    command = [sys.executable, "-c", "from app.cli import main; main()", "admin", "set-password"]
    return subprocess.run(
        [*command, email],
        input=stdin,
        capture_output=True,
        text=True,
        env={"PAPERBOY_DATABASE_URL": url, "PATH": ""},
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )


def test_cli_set_password_signs_the_admin_out_and_lifts_a_lock(
    admin_client: TestClient, clean_db: Engine
) -> None:
    assert admin_client.get("/admin").status_code == 200
    with Session(clean_db) as session, session.begin():
        admin = session.scalars(select(AdminUser)).one()
        # Locked after failures from everywhere (as test_a_hundred_failures... brings about).
        admin.failed_logins = 100
        admin.locked_until = admin.created_at.replace(year=2999)

    new = "a brand new long password"
    done = _set_password(clean_db, ADMIN_EMAIL.upper(), f"{new}\n{new}\n")

    assert done.returncode == 0, done.stderr
    assert f"New password set for {ADMIN_EMAIL}" in done.stdout
    assert admin_client.get("/admin").status_code == 303  # the old session is signed out
    with Session(clean_db) as session:
        admin = session.scalars(select(AdminUser)).one()
        assert admin.failed_logins == 0 and admin.locked_until is None
    assert sign_in(admin_client, ADMIN_EMAIL, ADMIN_PASSWORD).status_code == 401
    assert sign_in(admin_client, ADMIN_EMAIL, new).status_code == 303
    assert admin_client.get("/admin").status_code == 200


def test_cli_set_password_refuses_an_unknown_admin_a_short_password_and_a_mismatch(
    admin_account: AdminUser, clean_db: Engine
) -> None:
    unknown = _set_password(
        clean_db, "nobody@paperboy.test", "long enough pass\nlong enough pass\n"
    )
    short = _set_password(clean_db, ADMIN_EMAIL, "short\nshort\n")
    mismatch = _set_password(clean_db, ADMIN_EMAIL, "long enough pass\nanother long one\n")

    assert unknown.returncode == 1 and "no admin account for nobody@paperboy.test" in unknown.stderr
    # Said before any password is asked for (here: none given at all).
    asked_nothing = _set_password(clean_db, "nobody@paperboy.test", "")
    assert "no admin account for nobody@paperboy.test" in asked_nothing.stderr
    assert short.returncode == 1 and "at least" in short.stderr
    assert mismatch.returncode == 1 and "nothing was changed" in mismatch.stderr
    with Session(clean_db) as session:
        hashed = session.scalars(select(AdminUser.password_hash)).one()
    assert hashed == admin_account.password_hash


def _set_password_from_bytes(engine: Engine, stdin: bytes) -> tuple[int, str]:
    url = engine.url.render_as_string(hide_password=False)
    command = [sys.executable, "-c", "from app.cli import main; main()", "admin", "set-password"]
    done = subprocess.run(
        [*command, ADMIN_EMAIL],
        input=stdin,
        capture_output=True,
        env={"PAPERBOY_DATABASE_URL": url, "PATH": ""},
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    return done.returncode, done.stderr.decode("utf-8", "replace")


def test_cli_set_password_sets_the_password_as_typed_even_with_a_line_separator_inside(
    admin_account: AdminUser, clean_db: Engine
) -> None:
    """Only a line feed ends a stdin line: str.splitlines() also cut the password at a
    vertical tab or U+2028, which refused it as a mismatch or set its first part alone."""
    from argon2 import PasswordHasher

    password = "first half\u2028second half"
    code, stderr = _set_password_from_bytes(clean_db, f"{password}\r\n{password}\r\n".encode())

    assert code == 0, stderr
    with Session(clean_db) as session:
        hashed = session.scalars(select(AdminUser.password_hash)).one()
    assert PasswordHasher().verify(hashed, password)


def test_cli_set_password_refuses_a_password_that_is_not_utf8_with_a_sentence(
    admin_account: AdminUser, clean_db: Engine
) -> None:
    code, stderr = _set_password_from_bytes(clean_db, b"p\xe4ssword-latin1\np\xe4ssword-latin1\n")

    assert code == 1
    assert "not UTF-8" in stderr and "nothing was changed" in stderr
    assert "Traceback" not in stderr and "Error" not in stderr
    with Session(clean_db) as session:
        hashed = session.scalars(select(AdminUser.password_hash)).one()
    assert hashed == admin_account.password_hash


def test_every_admin_form_post_without_csrf_token_is_refused_with_403(
    admin_client: TestClient, admin_app: FastAPI
) -> None:
    posts = [
        re.sub(r"\{[^}]+\}", "1", route.path).replace("/1/1", "/1/pause")
        for route in _routes(admin_app.routes)
        if "POST" in route.methods and route.path.startswith("/admin")
    ]
    assert "/admin/editions/1/pause" in posts and "/admin/papers/ingest" in posts
    for path in posts:
        response = admin_client.post(path, data={"csrf_token": "forged"})
        assert response.status_code == 403, path
        assert admin_client.post(path).status_code == 403, path
