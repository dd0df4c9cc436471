"""Every digest scores at most 1.0 with SpamAssassin's local rules."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from sqlalchemy import Engine

from app.db import make_session_factory, transaction
from app.editions.running import send_edition
from tests.factories import DAY, add_papers, add_subscriber, settings_for
from tests.smtp_server import SMTPTestServer

SPAMASSASSIN = "/usr/bin/spamassassin"


def spam_score(raw: bytes) -> tuple[float, str]:
    result = subprocess.run(
        [SPAMASSASSIN, "-L", "-t"], input=raw, capture_output=True, timeout=120, check=True
    )
    report = result.stdout.decode("utf-8", "replace")
    match = re.search(r"^X-Spam-Status: \w+, score=(-?[\d.]+)", report, re.MULTILINE)
    assert match, report[:2000]
    return float(match.group(1)), report


def test_every_digest_scores_at_most_one_with_spamassassin(
    postgresql_engine: Engine, smtp_server: SMTPTestServer, tmp_path: Path
) -> None:
    from tests.factories import truncate_all

    truncate_all(postgresql_engine)
    try:
        settings = settings_for(
            tmp_path,
            postgresql_engine,
            mail_url=smtp_server.url,
            base_url="https://paperboy.example.org",
            from_address="Paperboy <digest@paperboy.example.org>",
        )
        with transaction(make_session_factory(postgresql_engine)) as session:
            add_papers(session)
            add_subscriber(session, "reader@example.org")
            add_subscriber(session, "blank@example.org", interests="")
        send_edition(settings, make_session_factory(postgresql_engine), edition_date=DAY)
        assert len(smtp_server.messages) == 2
        for received in smtp_server.messages:
            score, report = spam_score(received.raw)
            assert score <= 1.0, report
    finally:
        truncate_all(postgresql_engine)
