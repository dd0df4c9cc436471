"""Point the process settings (what Celery tasks read) at a test's database and mailbox.

Tasks read ``get_settings()``, i.e. the environment, like a real worker does.
``process_settings(engine, mail_url)`` sets the ``PAPERBOY_*`` variables for
one test (monkeypatch restores them) and clears the settings cache before and
after, so the web app built from the returned settings and the tasks it runs
agree on the database, the mail transport and the secret key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.config import Settings, get_settings
from tests.factories import OFFLINE_ARXIV_URL, TEST_SECRET

ProcessSettings = Callable[..., Settings]


@pytest.fixture
def process_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ProcessSettings]:
    def configure(engine: Engine, mail_url: str | None = None, **overrides: object) -> Settings:
        values: dict[str, object] = {
            "var_dir": tmp_path / "var",
            "secret_key": TEST_SECRET,
            "base_url": "http://testserver",
            "from_address": "Paperboy <digest@paperboy.test>",
            "database_url": engine.url.render_as_string(hide_password=False),
            "mail_url": mail_url or f"file://{tmp_path / 'outbox'}",
            "arxiv_api_url": OFFLINE_ARXIV_URL,
        }
        values.update(overrides)
        monkeypatch.delenv("PAPERBOY_BROKER_URL", raising=False)
        monkeypatch.delenv("PAPERBOY_REDIS_URL", raising=False)
        for name, value in values.items():
            monkeypatch.setenv(f"PAPERBOY_{name.upper()}", str(value))
        get_settings.cache_clear()
        return get_settings()

    yield configure
    get_settings.cache_clear()
