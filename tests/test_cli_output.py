"""The command line reads well: help without type noise, one bad-date message, plurals,
a papers table with a header and a send progress line that fits 80 columns."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from app.cli import cli
from app.db import make_session_factory, transaction
from tests.environment import ProcessSettings, process_settings  # noqa: F401 - the fixture
from tests.factories import DAY, add_papers, add_subscriber


@pytest.mark.parametrize(
    "command",
    [
        ["send"],
        ["papers"],
        ["ingest"],
        ["recommend"],
        ["run"],
        ["subscribers", "show"],
        ["subscribers", "import"],
        ["admin", "create-user"],
        ["admin", "set-password"],
        ["bounces", "process"],
    ],
)
def test_help_shows_no_python_types(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"], env={"COLUMNS": "80"})

    assert result.exit_code == 0
    assert "<bool>" not in result.stdout and "<%Y-%m-%d>" not in result.stdout
    assert "<str>" not in result.stdout and "<int>" not in result.stdout
    assert "<path>" not in result.stdout and "<list[" not in result.stdout
    assert "{" not in result.stdout and "[[" not in result.stdout


def test_help_names_arguments_as_the_usage_line_does() -> None:
    show = CliRunner().invoke(cli, ["subscribers", "show", "--help"], env={"COLUMNS": "80"})
    ingest = CliRunner().invoke(cli, ["ingest", "--help"], env={"COLUMNS": "80"})

    assert "Usage: paperboy subscribers show [OPTIONS] EMAIL\n" in show.stdout
    assert re.search(r"^  EMAIL  The subscriber's address\.", show.stdout, re.M)
    assert "Usage: paperboy ingest [OPTIONS] [FILE]...\n" in ingest.stdout


@pytest.mark.parametrize("group", [[], ["subscribers"], ["admin"], ["db"], ["bounces"]])
def test_command_lists_are_not_cut_off(group: list[str]) -> None:
    result = CliRunner().invoke(cli, [*group, "--help"], env={"COLUMNS": "80"})
    commands = result.stdout.split("Commands:\n", 1)[1].splitlines()

    assert result.exit_code == 0 and commands
    assert not [line for line in commands if line.rstrip().endswith("...")]


@pytest.mark.parametrize("command", [["send"], ["papers"], ["ingest"]])
def test_every_command_says_the_same_about_a_bad_date(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--date", "2025-13-01"])

    assert result.exit_code == 2
    assert "'2025-13-01' is not a date like 2025-11-27 (YYYY-MM-DD)" in result.stderr


def test_send_fits_80_columns_and_papers_has_a_header(
    clean_db: Engine,
    process_settings: ProcessSettings,  # noqa: F811
    tmp_path: Path,
) -> None:
    process_settings(clean_db)
    with transaction(make_session_factory(clean_db)) as session:
        add_papers(session, count=3)
        add_subscriber(session, "reader@example.org")
    runner = CliRunner()

    sent = runner.invoke(cli, ["send", "--date", DAY.isoformat()], env={"COLUMNS": "80"})
    papers = runner.invoke(cli, ["papers", "--date", DAY.isoformat()])

    assert sent.exit_code == 0, sent.output
    bar_lines = [line for line in sent.stderr.splitlines() if line.startswith("edition ")]
    assert bar_lines and all(len(line) <= 80 for line in bar_lines)
    assert re.search(r"\b1/1\b", bar_lines[-1])
    assert "of 1 recipient." in sent.stderr
    assert papers.stdout.splitlines()[0].split() == ["UPVOTES", "ARXIV", "ID", "TITLE"]
    assert len(papers.stdout.splitlines()) == 4


def test_the_send_bar_never_shows_a_rate_that_reads_as_stalled() -> None:
    from app.cli.sending import rate_text

    assert rate_text(1234.4) == "1,234/s"
    assert rate_text(0.5) == "30/min"  # not "0/s" while a slow server takes its time
    assert rate_text(0.001) == "1/min"
    assert rate_text(0.0) == rate_text(None) == ""  # nothing going out: no "0/s"
