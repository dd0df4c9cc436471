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


def test_list_refuses_an_unknown_status(
    clean_db: Engine, process_settings: ProcessSettings
) -> None:
    process_settings(clean_db)
    result = CliRunner().invoke(cli, ["subscribers", "list", "--status", "happy", "--json"])
    assert result.exit_code == 2 and "unknown status" in result.stderr
