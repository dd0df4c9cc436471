"""`paperboy subscribers import` and `paperboy subscribers list --json`."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from app.cli import cli
from tests.environment import ProcessSettings


def test_import_then_list_as_json(
    clean_db: Engine, process_settings: ProcessSettings, tmp_path: Path
) -> None:
    process_settings(clean_db)
    csv_file = tmp_path / "readers.csv"
    csv_file.write_text(
        "email,interests,topics,frequency,send_hour,timezone\n"
        "ada@example.org,compilers,llm;efficiency,daily,6,Europe/London\n"
        "broken,,,,,\n"
        "bob@example.org,,,,,\n"
    )
    runner = CliRunner()

    imported = runner.invoke(cli, ["subscribers", "import", str(csv_file)])

    assert imported.exit_code == 0, imported.output
    assert "Imported 2 subscribers from readers.csv" in imported.stdout
    assert "line 3: skipped (email:" in imported.stderr
    assert "3 rows in " in imported.stderr

    listed = runner.invoke(cli, ["subscribers", "list", "--status", "active", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [row["email"] for row in rows] == ["ada@example.org", "bob@example.org"]
    ada = rows[0]
    assert {key: ada[key] for key in ("status", "interests", "topics", "frequency")} == {
        "status": "active",
        "interests": "compilers",
        "topics": ["llm", "efficiency"],
        "frequency": "daily",
    }
    assert ada["send_hour"] == 6 and ada["consent_source"] == "import:readers.csv"
    assert ada["created_at"]

    again = runner.invoke(cli, ["subscribers", "import", str(csv_file)])
    assert "Imported 0 subscribers" in again.stdout and "2 already present" in again.stdout
    pending = runner.invoke(cli, ["subscribers", "list", "--status", "pending", "--json"])
    assert json.loads(pending.stdout) == []

    one = tmp_path / "one.csv"
    one.write_text("email\ncy@example.org\n")
    single = runner.invoke(cli, ["subscribers", "import", str(one)])
    assert "1 row in " in single.stderr and "Imported 1 subscriber from one.csv" in single.stdout


def test_list_refuses_an_unknown_status(
    clean_db: Engine, process_settings: ProcessSettings
) -> None:
    process_settings(clean_db)
    result = CliRunner().invoke(cli, ["subscribers", "list", "--status", "happy", "--json"])
    assert result.exit_code == 2 and "unknown status" in result.stderr


def test_show_prints_the_list_fields_with_liked_disliked_and_seed_papers(
    clean_db: Engine, process_settings: ProcessSettings
) -> None:
    from app.db import make_session_factory, transaction
    from app.models import FeedbackKind
    from app.subscriptions.papers import record_feedback
    from tests.factories import add_subscriber

    process_settings(clean_db)
    with transaction(make_session_factory(clean_db)) as session:
        reader = add_subscriber(session, "ada@example.org")
        reader.seed_papers = ["2401.00001"]
        for arxiv_id, kind in (
            ("2511.20001", FeedbackKind.LIKE),
            ("2511.20002", FeedbackKind.DISLIKE),
            ("2511.20003", FeedbackKind.LIKE),
        ):
            record_feedback(session, subscriber=reader, arxiv_id=arxiv_id, kind=kind)
    runner = CliRunner()

    shown = runner.invoke(cli, ["subscribers", "show", "Ada@Example.org", "--json"])
    listed = runner.invoke(cli, ["subscribers", "list", "--json"])

    assert shown.exit_code == 0, shown.output
    row = json.loads(shown.stdout)
    [listed_row] = json.loads(listed.stdout)
    assert {key: row[key] for key in listed_row} == listed_row
    assert row["liked"] == ["2511.20001", "2511.20003"]
    assert row["disliked"] == ["2511.20002"]
    assert row["seed_papers"] == ["2401.00001"]
    missing = runner.invoke(cli, ["subscribers", "show", "nobody@example.org", "--json"])
    assert missing.exit_code == 1 and "no subscriber" in missing.stderr
