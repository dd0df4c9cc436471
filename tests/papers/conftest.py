"""Fixtures for the public site's tests: web clients, the live server and the browser."""

from tests.browser import browser_page, chromium, live_server
from tests.environment import process_settings
from tests.web.conftest import client, make_client, outbox

__all__ = [
    "browser_page",
    "chromium",
    "client",
    "live_server",
    "make_client",
    "outbox",
    "process_settings",
]
