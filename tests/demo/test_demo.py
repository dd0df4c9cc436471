"""`paperboy demo`: a first tour that ends with digests in the outbox, and can run again."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from app.cli import cli
from app.db import make_session_factory, transaction
from tests.environment import ProcessSettings, process_settings  # noqa: F401 - the fixture
from tests.factories import add_subscriber


def test_demo_sends_the_example_readers_a_digest_once(
    clean_db: Engine,
    process_settings: ProcessSettings,  # noqa: F811
    tmp_path: Path,
) -> None:
    process_settings(clean_db)
    outbox = tmp_path / "outbox"
    runner = CliRunner()

    first = runner.invoke(cli, ["demo"])

    assert first.exit_code == 0, first.output
    assert "Papers: 53 featured on 26 and 27 November 2025 (53 new" in first.stdout
    assert "Readers: 5 at example.org (5 new)" in first.stdout
    assert "5 of 5 digests sent" in first.stdout
    assert "http://testserver/admin/outbox" in first.stdout
    assert "http://testserver/sample" in first.stdout
    digests = sorted(outbox.glob("*.eml"))
    assert len(digests) == 5
    mentioned = next(line for line in first.stdout.splitlines() if line.strip().endswith(".eml"))
    assert Path(mentioned.strip()).is_file()

    again = runner.invoke(cli, ["demo"])

    assert again.exit_code == 0, again.output
    assert "(0 new" in again.stdout and "Readers: 5 at example.org (0 new)" in again.stdout
    assert sorted(outbox.glob("*.eml")) == digests


def test_demo_refuses_a_database_with_real_readers(
    clean_db: Engine,
    process_settings: ProcessSettings,  # noqa: F811
    tmp_path: Path,
) -> None:
    process_settings(clean_db)
    with transaction(make_session_factory(clean_db)) as session:
        add_subscriber(session, "a.real.person@example.com")

    result = CliRunner().invoke(cli, ["demo"])

    assert result.exit_code == 1
    assert "1 subscriber of its own" in result.stderr
    # It says how to run it anyway: a folder of its own, for the server too.
    assert "PAPERBOY_VAR_DIR=var/demo paperboy demo" in result.stderr
    assert "PAPERBOY_VAR_DIR=var/demo paperboy run" in result.stderr
    assert not list((tmp_path / "outbox").glob("*.eml"))
