"""A browser that hits a wrong address or a server error sees a page; API clients keep JSON."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.config import Settings
from app.web.app import create_app

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_browser_gets_a_page_for_a_missing_address(settings: Settings) -> None:
    client = TestClient(create_app(settings))

    response = client.get("/no-such-page", headers=BROWSER)

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page not found" in response.text
    assert 'href="/"' in response.text


def test_the_api_keeps_json_errors_even_for_a_browser(settings: Settings) -> None:
    client = TestClient(create_app(settings))

    api = client.get("/api/v1/no-such-thing", headers=BROWSER)
    script = client.get("/no-such-page", headers={"Accept": "application/json"})

    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
    assert script.status_code == 404 and script.json() == {"detail": "Not Found"}


def test_a_server_error_is_a_page_for_a_browser_and_json_for_the_api(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    @app.get("/api/v1/boom")
    def api_boom() -> None:
        raise RuntimeError("kaboom")

    client = TestClient(app, raise_server_exceptions=False)

    page = client.get("/boom", headers=BROWSER)
    api = client.get("/api/v1/boom", headers=BROWSER)

    assert page.status_code == 500 and "Something went wrong on our side" in page.text
    assert "kaboom" not in page.text
    assert api.status_code == 500 and api.json() == {"detail": "Internal Server Error"}


def test_api_docs_are_served_from_the_package_without_a_cdn(settings: Settings) -> None:
    client = TestClient(create_app(settings))

    docs = client.get("/api/docs")

    assert docs.status_code == 200
    assert "cdn.jsdelivr.net" not in docs.text and "unpkg.com" not in docs.text
    assert client.get("/static/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/swagger-ui/swagger-ui.css").status_code == 200
