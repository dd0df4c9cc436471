"""JSON logs: one object per line, carrying the request's and the edition's ids."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from app.cli import cli
from app.db import make_session_factory, transaction
from app.logs import configure_logging, log_context
from app.web.app import create_app
from tests.environment import ProcessSettings, process_settings  # noqa: F401 - the fixture
from tests.factories import DAY, add_papers, add_subscriber
from tests.smtp_server import SMTPTestServer


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_request_logs_json_lines_with_its_request_id(
    clean_db: Engine,
    process_settings: ProcessSettings,  # noqa: F811
    restore_logging: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = process_settings(clean_db)
    configure_logging("json", "INFO")
    client = TestClient(create_app(settings, engine=clean_db), raise_server_exceptions=False)

    # A form post without its CSRF token: refused, and the refusal is logged.
    response = client.post(
        "/subscribe", data={"email": "a@example.org"}, headers={"X-Request-ID": "req-from-proxy-1"}
    )
    logging.getLogger("tests").info("after the request")  # outside it: no request id

    assert response.headers["X-Request-ID"] == "req-from-proxy-1"
    fresh = client.get("/healthz").headers["X-Request-ID"]
    assert len(fresh) == 32 and fresh != "req-from-proxy-1"
    lines = json_lines(capsys.readouterr().err)
    tagged = [line for line in lines if line.get("request_id") == "req-from-proxy-1"]
    assert tagged, lines
    assert {"level", "logger", "message", "time"} <= tagged[0].keys()
    assert tagged[0]["level"] == "WARNING" and "CSRF" in tagged[0]["message"]
    after = next(line for line in lines if line["logger"] == "tests")
    assert "request_id" not in after


def test_a_forged_request_id_is_replaced_not_logged(
    clean_db: Engine,
    process_settings: ProcessSettings,  # noqa: F811
) -> None:
    client = TestClient(create_app(process_settings(clean_db), engine=clean_db))

    response = client.get("/healthz", headers={"X-Request-ID": "evil\tinjected line"})

    assert response.headers["X-Request-ID"] != "evil\tinjected line"


def test_paperboy_send_logs_json_lines_with_the_edition_id(
    clean_db: Engine,
    process_settings: ProcessSettings,  # noqa: F811
    tmp_path: Path,
    restore_logging: None,
) -> None:
    process_settings(clean_db, log_format="json", log_level="INFO")
    with transaction(make_session_factory(clean_db)) as session:
        add_papers(session)
        add_subscriber(session, "reader@example.org")

    result = CliRunner().invoke(cli, ["send", "--date", DAY.isoformat()])

    assert result.exit_code == 0, result.output
    lines = json_lines(result.stderr)
    with_edition = [line for line in lines if "edition_id" in line]
    assert with_edition, result.stderr
    assert all(line["level"] in {"DEBUG", "INFO", "WARNING", "ERROR"} for line in lines)
    assert any("1 sent" in line["message"] for line in with_edition)


def test_log_context_refuses_fields_outside_the_contract() -> None:
    with pytest.raises(ValueError, match="unknown log context fields"), log_context(user="x"):  # type: ignore[arg-type]
        pass


def test_a_refused_delivery_is_one_warning_line_with_its_delivery_id(
    clean_db: Engine,
    process_settings: ProcessSettings,  # noqa: F811
    smtp_server: SMTPTestServer,
    tmp_path: Path,
    restore_logging: None,
) -> None:
    process_settings(clean_db, log_format="json", log_level="INFO", mail_url=smtp_server.url)
    smtp_server.faults.permanent.add("gone@example.org")
    with transaction(make_session_factory(clean_db)) as session:
        add_papers(session)
        add_subscriber(session, "reader@example.org")
        add_subscriber(session, "gone@example.org")

    result = CliRunner().invoke(cli, ["send", "--date", DAY.isoformat()])

    assert result.exit_code == 0, result.output
    refused = [line for line in json_lines(result.stderr) if "delivery_id" in line]
    [line] = refused
    assert line["level"] == "WARNING" and "bounced" in line["message"]
    assert line["message"].startswith(f"delivery {line['delivery_id']} bounced (SMTP 550)")
    assert line["edition_id"]
