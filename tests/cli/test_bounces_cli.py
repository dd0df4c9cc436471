"""`paperboy bounces process` with a path that is not a Maildir says so in one line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli


def test_a_missing_maildir_is_one_clear_line_and_a_failure(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["bounces", "process", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"paperboy: {tmp_path / 'nope'} is not a directory (give the bounce Maildir)"
    ]
    assert "Traceback" not in result.output


def test_a_directory_that_is_not_a_maildir_is_one_clear_line_and_a_failure(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "mail"
    (folder / "new").mkdir(parents=True)  # no cur/: not a Maildir
    result = CliRunner().invoke(cli, ["bounces", "process", str(folder)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"paperboy: {folder} is not a Maildir (it has no new/ and cur/ folders)"
    ]
    assert "Traceback" not in result.output
