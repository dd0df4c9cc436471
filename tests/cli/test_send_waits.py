"""A send that stands still says why: the mail server refused, and when the next try is."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.cli.sending import retry_watcher
from app.db import make_session_factory, transaction
from app.editions.progress import EditionProgress
from app.editions.running import send_edition
from tests.factories import DAY, add_papers, add_subscriber, settings_for


class Told(Exception):
    """Raised from the progress callback once the watcher spoke: stops the wait."""


def test_a_send_waiting_on_a_mail_server_that_refused_says_so_once(
    clean_db: Engine, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, clean_db, mail_url="smtp://127.0.0.1:1")  # nothing listens
    factory = make_session_factory(clean_db)
    with transaction(factory) as session:
        add_papers(session)
        add_subscriber(session, "reader@example.org")
        add_subscriber(session, "other@example.org")
    lines: list[str] = []
    watch = retry_watcher(factory, lines.append)
    ticks = 0

    def on_progress(progress: EditionProgress) -> None:
        nonlocal ticks
        watch(progress)
        ticks += 1 if lines else 0
        if ticks > 3:  # told once, and not again on the next ticks of the same wait
            raise Told

    with pytest.raises(Told):
        send_edition(settings, factory, edition_date=DAY, on_progress=on_progress)

    [line] = lines
    assert line.startswith("2 digests not sent yet: ")
    assert "127.0.0.1:1" in line and "refused" in line.lower()
    assert "Next try at " in line and "UTC" in line
