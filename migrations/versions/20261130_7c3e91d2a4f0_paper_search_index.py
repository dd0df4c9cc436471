"""full-text search over papers: tsvector + GIN on PostgreSQL, FTS5 on SQLite

The public site's search retrieves candidates from this index, then the ranker
re-ranks them. Neither object is in the models (the two backends differ); the
Alembic environment leaves them out of ``alembic check`` by name
(``migrations/env.py``, ``SEARCH_INDEX_OBJECTS``).

Revision ID: 7c3e91d2a4f0
Revises: 5d1c0a7e9b21
Create Date: 2026-11-30 04:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7c3e91d2a4f0"
down_revision: str | Sequence[str] | None = "5d1c0a7e9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Title weighted above the abstract, as the ranker weights fields.
_PG_VECTOR = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(abstract, '')), 'B')"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"ALTER TABLE paper ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({_PG_VECTOR}) STORED"
        )
        op.execute("CREATE INDEX ix_paper_search_vector ON paper USING gin (search_vector)")
        return
    # SQLite: an external-content FTS5 table kept in step with ``paper`` by triggers.
    op.execute(
        "CREATE VIRTUAL TABLE paper_fts USING fts5("
        "title, abstract, content='paper', content_rowid='id', tokenize='porter unicode61')"
    )
    op.execute(
        "CREATE TRIGGER paper_fts_insert AFTER INSERT ON paper BEGIN "
        "INSERT INTO paper_fts(rowid, title, abstract) VALUES (new.id, new.title, new.abstract); "
        "END"
    )
    op.execute(
        "CREATE TRIGGER paper_fts_delete AFTER DELETE ON paper BEGIN "
        "INSERT INTO paper_fts(paper_fts, rowid, title, abstract) "
        "VALUES ('delete', old.id, old.title, old.abstract); END"
    )
    op.execute(
        "CREATE TRIGGER paper_fts_update AFTER UPDATE OF title, abstract ON paper BEGIN "
        "INSERT INTO paper_fts(paper_fts, rowid, title, abstract) "
        "VALUES ('delete', old.id, old.title, old.abstract); "
        "INSERT INTO paper_fts(rowid, title, abstract) VALUES (new.id, new.title, new.abstract); "
        "END"
    )
    op.execute("INSERT INTO paper_fts(paper_fts) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_paper_search_vector")
        op.execute("ALTER TABLE paper DROP COLUMN IF EXISTS search_vector")
        return
    for trigger in ("paper_fts_insert", "paper_fts_delete", "paper_fts_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS paper_fts")
