"""Behind a reverse proxy, only the proxies in FORWARDED_ALLOW_IPS may name the client."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.cli.serve import proxy_options
from app.web.ratelimit import client_ip
from tests.factories import make_test_settings


def _seen_client(options: dict[str, object], peer: str) -> str:
    app = FastAPI()

    @app.get("/ip")
    def ip(request: Request) -> str:
        return client_ip(request)

    # What uvicorn wraps the app in when run with these options.
    proxied = ProxyHeadersMiddleware(app, trusted_hosts=str(options["forwarded_allow_ips"]))
    with TestClient(proxied, client=(peer, 50000)) as client:
        answer: str = client.get("/ip", headers={"x-forwarded-for": "203.0.113.9"}).json()
    return answer


@pytest.mark.parametrize(
    ("allowed", "peer", "seen"),
    [
        (None, "127.0.0.1", "203.0.113.9"),  # the default: a proxy on this host
        (None, "10.0.0.5", "10.0.0.5"),  # anyone else's header is ignored
        ("10.0.0.0/8", "10.0.0.5", "203.0.113.9"),
    ],
)
def test_forwarded_for_is_believed_only_from_allowed_proxies(
    tmp_path: Path, allowed: str | None, peer: str, seen: str
) -> None:
    overrides = {} if allowed is None else {"forwarded_allow_ips": allowed}
    options = proxy_options(make_test_settings(tmp_path, **overrides))
    assert options["proxy_headers"] is True
    assert _seen_client(options, peer) == seen
