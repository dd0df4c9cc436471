"""Live-server and browser fixtures for tests where a person would click.

``live_server``: the real app under uvicorn in a background thread on a free
port, on the ``clean_db`` database, writing mail to a file outbox (tasks run
in-process and read the same settings from the environment).
``browser_page``: a Playwright page in Debian's headless Chromium.
Import them into a test module's namespace (``from tests.browser import ...``).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import Engine

from app.web.app import create_app
from tests.environment import ProcessSettings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@dataclass
class LiveServer:
    url: str
    outbox: Path
    engine: Engine


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def live_server(
    clean_db: Engine, process_settings: ProcessSettings, tmp_path: Path
) -> Iterator[LiveServer]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    outbox = tmp_path / "outbox"
    settings = process_settings(clean_db, f"file://{outbox}", base_url=url)
    config = uvicorn.Config(
        create_app(settings, engine=clean_db),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        ws="none",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the live server did not start within 10 s", pytrace=False)
        time.sleep(0.05)
    try:
        yield LiveServer(url=url, outbox=outbox, engine=clean_db)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def chromium() -> Iterator[Browser]:
    # Function-scoped: Playwright's sync API keeps an asyncio loop running in this
    # thread while it lives, which would break later tests that start their own.
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium`", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium: Browser) -> Iterator[Page]:
    """A fresh page (own cookies) at desktop width, in a known timezone."""
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, timezone_id="Europe/Paris", locale="en-GB"
    )
    page = context.new_page()
    # Generous waits: CI shares two cores with PostgreSQL, Redis and the app server.
    page.set_default_timeout(20_000)
    expect.set_options(timeout=15_000)
    yield page
    context.close()


def screenshot(page: Page, name: str, *, widths: tuple[int, ...] = (1280, 375)) -> list[Path]:
    """Full-page screenshots of ``page`` at each width, under tests/artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    saved = []
    original = page.viewport_size or {"width": 1280, "height": 900}
    for width in widths:
        page.set_viewport_size({"width": width, "height": 900})
        path = ARTIFACTS / f"{name}-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
    page.set_viewport_size(original)
    return saved


AXE_SCRIPT = Path(__file__).resolve().parent / ".node/node_modules/axe-core/axe.min.js"


def serious_accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it stands, one line each.

    axe-core is the npm package scripts/test-services.sh installs (``make services``).
    """
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: run `make services`", pytrace=False)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the debugging protocol, not as a <script> tag: the site's
        # CSP (script-src 'self') rightly refuses an injected inline script.
        page.evaluate(AXE_SCRIPT.read_text() + "\n;undefined")
    results = page.evaluate("async () => await window.axe.run(document)")
    return [
        f"{v['impact']}: {v['id']} ({v['help']}) at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
