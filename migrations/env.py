"""Alembic environment: the URL comes from the caller or from Paperboy's settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import app.models  # noqa: F401  (registers every table on Base.metadata)
from app.config import get_settings
from app.db import Base, make_engine

target_metadata = Base.metadata

# The papers' full-text index differs by backend, so it lives in its migration only
# (20261130_7c3e91d2a4f0): tsvector column + GIN index, or FTS5 tables.
SEARCH_INDEX_OBJECTS = ("search_vector", "ix_paper_search_vector")


def _include_name(name: str | None, type_: str, _parents: object) -> bool:
    if name is None:
        return True
    if type_ == "table" and name.startswith("paper_fts"):
        return False
    return name not in SEARCH_INDEX_OBJECTS


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_include_name,
    )


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.config.attributes.get("database_url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Paperboy migrations run online only (paperboy db upgrade).")
run_migrations_online()
