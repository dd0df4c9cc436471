"""GET /healthz tells an operator whether the database and broker answer."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.web.app import create_app
from tests.factories import make_test_settings


def test_healthz_is_ok_when_the_database_answers(db_engine: Engine, tmp_path: Path) -> None:
    app = create_app(make_test_settings(tmp_path), engine=db_engine)
    with TestClient(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "not configured"}


def test_healthz_is_503_when_the_database_is_down(tmp_path: Path) -> None:
    settings = make_test_settings(
        tmp_path, database_url="postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


def test_healthz_reports_the_broker_when_one_is_configured(
    db_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    settings = make_test_settings(tmp_path, broker_url=redis_url)
    with TestClient(create_app(settings, engine=db_engine)) as client:
        up = client.get("/healthz")
    down_settings = make_test_settings(tmp_path, broker_url="redis://127.0.0.1:1/0")
    with TestClient(create_app(down_settings, engine=db_engine)) as client:
        down = client.get("/healthz")
    assert (up.status_code, up.json()["broker"]) == (200, "ok")
    assert (down.status_code, down.json()["broker"]) == (503, "unavailable")


def test_pages_carry_security_headers(db_engine: Engine, tmp_path: Path) -> None:
    with TestClient(create_app(make_test_settings(tmp_path), engine=db_engine)) as client:
        response = client.get("/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_oversized_bodies_are_refused_before_parsing(db_engine: Engine, tmp_path: Path) -> None:
    settings = make_test_settings(tmp_path, max_body_bytes=1024)
    with TestClient(create_app(settings, engine=db_engine)) as client:
        response = client.post("/healthz", content=b"x" * 5000)
    assert response.status_code == 413
