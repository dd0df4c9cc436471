"""`paperboy recommend` prints the production ranker's picks for one reader as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli

PAPERS_FILE = Path(__file__).parents[1] / "ranking" / "data" / "daily_papers_small.json"


def test_recommend_prints_picks_best_first_as_json() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "recommend",
            "--papers-file",
            str(PAPERS_FILE),
            "--interests",
            "speech synthesis",
            "-k",
            "3",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    picks = json.loads(result.stdout)
    assert 1 <= len(picks) <= 3
    assert all(set(pick) == {"arxiv_id", "score", "why"} for pick in picks)
    assert all(pick["why"] for pick in picks)


def test_recommend_notes_an_unknown_seed_paper() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "recommend",
            "--papers-file",
            str(PAPERS_FILE),
            "--interests",
            "agents",
            "--seed-paper",
            "9999.99999",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "9999.99999" in json.loads(result.stdout)[0]["why"]


def test_recommend_fails_clearly_on_an_unreadable_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = CliRunner().invoke(
        cli, ["recommend", "--papers-file", str(broken), "--interests", "x", "--json"]
    )
    assert result.exit_code == 1
    assert "not valid JSON" in result.stderr


def test_recommend_refuses_a_file_of_papers_in_another_shape(tmp_path: Path) -> None:
    # `paperboy papers --json`'s own rows are a JSON array too, but not Daily Papers
    # items: every one would be skipped and the ranking empty, with rc 0 and no word.
    rows = tmp_path / "papers.json"
    rows.write_text(json.dumps([{"arxiv_id": "2511.20639", "title": "A paper", "upvotes": 3}]))
    result = CliRunner().invoke(
        cli, ["recommend", "--papers-file", str(rows), "--interests", "agents", "--json"]
    )
    assert result.exit_code == 1
    assert "none of its 1 item is a Daily Papers item" in result.stderr
    assert "no paper object" in result.stderr and result.stdout == ""
