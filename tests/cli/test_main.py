"""The console script's entry point: options with several values, and one line per failure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main, spread_list_options
from app.config import get_settings

PAPERS_FILE = Path(__file__).parents[1] / "ranking" / "data" / "daily_papers_small.json"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("PAPERBOY_VAR_DIR", str(tmp_path))
    for name in ("PAPERBOY_DATABASE_URL", "PAPERBOY_BROKER_URL", "PAPERBOY_MAIL_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def run(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr("sys.argv", ["paperboy", *args])
    with pytest.raises(SystemExit) as exited:
        main()
    code = exited.value.code
    return code if isinstance(code, int) else 1


def test_several_seed_papers_and_clicks_follow_one_flag_as_files_follow_ingest_file(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # As the contract writes it: recommend ... [--seed-paper ID ...]; repeating works too.
    args = ["recommend", "--papers-file", str(PAPERS_FILE), "--interests", "agents"]
    code = run(
        environment,
        *args,
        "--seed-paper",
        "9999.99991",
        "9999.99992",
        "--clicked",
        "9999.99993",
        "--seed-paper",
        "9999.99994",
        "--json",
    )
    out = capsys.readouterr().out
    assert code == 0, out
    why = json.loads(out)[0]["why"]
    assert all(f"9999.9999{n}" in why for n in (1, 2, 4))
    assert "9999.99993" not in why  # a click is no seed (and unknown clicks are not noted)


def test_list_options_spread_only_their_own_values() -> None:
    assert spread_list_options(["recommend", "--seed-paper", "A", "B", "-k", "3"]) == [
        "recommend",
        "--seed-paper",
        "A",
        "--seed-paper",
        "B",
        "-k",
        "3",
    ]
    # Other commands' arguments are left as they are.
    assert spread_list_options(["ingest", "--file", "a.json", "b.json"]) == [
        "ingest",
        "--file",
        "a.json",
        "b.json",
    ]


@pytest.mark.parametrize("command", [["db", "upgrade"], ["subscribers", "list"]])
def test_a_database_that_does_not_answer_is_one_line_not_a_traceback(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    environment.setenv("PAPERBOY_DATABASE_URL", "postgresql://nobody:secret@127.0.0.1:1/x")

    code = run(environment, *command)

    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("paperboy: the database at postgresql+psycopg://nobody:***@127.0.0.1:1/x")
    assert "does not answer" in err and "secret" not in err


def test_send_to_a_database_that_does_not_exist_fails_at_once_with_one_line(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A wrong DATABASE_URL is no outage to wait out (DATABASE_OUTAGE_SECONDS, 300 s).
    environment.setenv(
        "PAPERBOY_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/paperboy_no_such_db"
    )
    environment.setenv("PAPERBOY_DATABASE_OUTAGE_SECONDS", "120")

    code = run(environment, "send", "--date", "2025-11-27")

    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert 'database "paperboy_no_such_db" does not exist' in err.splitlines()[-1]


def test_a_refused_connection_is_an_outage_a_missing_database_is_not() -> None:
    import psycopg
    from sqlalchemy.exc import OperationalError

    from app.db import is_outage

    def failure(message: str) -> OperationalError:
        return OperationalError("SELECT 1", {}, psycopg.OperationalError(message))

    assert is_outage(failure('connection failed: connection to server at "127.0.0.1" refused'))
    assert is_outage(failure("FATAL: the database system is starting up"))
    assert not is_outage(failure('connection failed: FATAL: database "x" does not exist'))
    assert not is_outage(failure('FATAL: password authentication failed for user "x"'))


def _in_schema(url: str, schema: str) -> str:
    """``url`` with its search path set to ``schema`` alone (a database of its own, in effect)."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@pytest.mark.parametrize(
    "command",
    [["subscribers", "list"], ["send", "--date", "2025-11-27"], ["papers", "--date", "2025-11-27"]],
)
def test_a_postgresql_database_never_migrated_says_run_db_upgrade_not_a_traceback(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    from tests.conftest import PG_URL

    # A schema that does not exist: the search path finds no table at all.
    environment.setenv("PAPERBOY_DATABASE_URL", _in_schema(PG_URL, "paperboy_never_migrated"))

    code = run(environment, *command)

    captured = capsys.readouterr()
    assert code == 1 and "Traceback" not in captured.err and captured.out == ""
    assert captured.err.count("\n") == 1
    assert "has no Paperboy tables yet: run `paperboy db upgrade` first." in captured.err


def test_a_postgresql_database_behind_this_version_names_both_revisions(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import create_engine, text

    from app.migrations import migration_heads
    from tests.conftest import PG_URL

    schema = "paperboy_behind"
    engine = create_engine(PG_URL)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
        connection.execute(text(f"CREATE TABLE {schema}.alembic_version (version_num text)"))
        connection.execute(text(f"INSERT INTO {schema}.alembic_version VALUES ('032b529d6814')"))
    try:
        environment.setenv("PAPERBOY_DATABASE_URL", _in_schema(PG_URL, schema))
        code = run(environment, "subscribers", "list")
    finally:
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()

    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    (head,) = migration_heads()
    assert f"is at schema revision 032b529d6814, not this version's {head}" in err
    assert "run `paperboy db upgrade` first." in err


def test_a_database_that_does_not_exist_is_named_a_setting_to_fix_not_a_server_away(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.setenv(
        "PAPERBOY_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/paperboy_no_such_db"
    )

    code = run(environment, "subscribers", "list")

    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(
        "paperboy: the database at postgresql+psycopg://postgres@127.0.0.1:5432/paperboy_no_such_db"
        " refuses PAPERBOY_DATABASE_URL: "
    )
    assert "does not answer" not in err


def test_send_for_a_day_without_papers_says_what_is_missing_and_how_to_fetch_it(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(environment, "send", "--date", "2025-11-27")

    # The console wraps at the terminal's width: read it as one line.
    err = " ".join(capsys.readouterr().err.split())
    assert code == 0
    assert "Edition 1 of 2025-11-27: nothing to send, no digest went out." in err
    assert "`paperboy ingest --date 2025-11-27` fetches them" in err
    assert "0 recipients" not in err
