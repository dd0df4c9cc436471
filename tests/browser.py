"""Browser fixtures: the app served by uvicorn in a thread, and headless Debian Chromium.

Import the fixtures you need into a conftest (pytest only collects fixtures
from conftest files and plugins)::

    from tests.browser import browser_page, chromium_browser, live_server  # noqa: F401

``live_server`` serves ``create_app(settings, clean_db)`` on a free port and yields
its base URL; ``browser_page`` is a fresh Playwright page (1280x800, downloads on);
``save_screenshots(page, name)`` writes ``tests/artifacts/<name>-1280.png`` and
``-375.png``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import Engine

from app.config import Settings
from app.web.app import create_app

CHROMIUM = os.environ.get("PAPERBOY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
WIDTHS = (1280, 375)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def live_server(clean_db: Engine, settings: Settings) -> Iterator[str]:
    """The app on http://127.0.0.1:<free port>, backed by the committed ``clean_db``."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, engine=clean_db),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        ws="none",
        http="h11",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the live server did not start", pytrace=False)
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    """Headless Chromium (Debian's package; never downloaded at test time)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: `apt-get install chromium` "
            "(or set PAPERBOY_CHROMIUM).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium_browser: Browser) -> Iterator[Page]:
    """A fresh page in its own context (no cookies shared between tests)."""
    context = chromium_browser.new_context(
        viewport={"width": 1280, "height": 800}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def save_screenshots(page: Page, name: str) -> list[Path]:
    """Full-page screenshots of the current page at each width in ``WIDTHS``."""
    ARTIFACTS.mkdir(exist_ok=True)
    paths = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        path = ARTIFACTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        paths.append(path)
    page.set_viewport_size({"width": 1280, "height": 800})
    return paths
