"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect

from app.migrations import check_models_match_schema, upgrade_database


def test_upgrade_head_then_check_finds_no_drift(db_engine: Engine) -> None:
    # db_engine was built by `alembic upgrade head`; `alembic check` raises on any drift.
    check_models_match_schema(db_engine.url.render_as_string(hide_password=False))


def test_upgrade_is_idempotent_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade_database(url)
    upgrade_database(url)
    check_models_match_schema(url)


def test_every_product_table_exists(db_engine: Engine) -> None:
    tables = set(inspect(db_engine).get_table_names())
    assert {
        "subscriber",
        "paper",
        "paper_feature",
        "paper_snapshot",
        "ingest_run",
        "edition",
        "delivery",
        "event",
        "suppression",
        "admin_user",
    } <= tables
