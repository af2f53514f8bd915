"""Text search over incidents without scanning them: a trigram index on id, title and impact.

SQLite gets an FTS5 table with the trigram tokenizer, kept in step with `incidents` by
triggers. PostgreSQL gets a pg_trgm GIN index on the same text when the extension can be
created; without it, search still works, by scanning.

Revision ID: 0009_incident_search
Revises: 0007_web_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_incident_search"
down_revision = "0007_web_indexes"
branch_labels = None
depends_on = None

# Keep in step with warroom.store.incidents.SEARCH_TEXT.
BODY = "human_id || ' ' || title || ' ' || impact"
_SQLITE = [
    "CREATE VIRTUAL TABLE incident_search USING fts5(incident_id UNINDEXED, body, "
    "tokenize='trigram')",
    f"INSERT INTO incident_search (incident_id, body) SELECT id, {BODY} FROM incidents",
    """CREATE TRIGGER incident_search_insert AFTER INSERT ON incidents BEGIN
        INSERT INTO incident_search (incident_id, body)
        VALUES (new.id, new.human_id || ' ' || new.title || ' ' || new.impact); END""",
    """CREATE TRIGGER incident_search_update AFTER UPDATE OF human_id, title, impact
        ON incidents BEGIN
        UPDATE incident_search SET body = new.human_id || ' ' || new.title || ' ' || new.impact
        WHERE incident_id = old.id; END""",
    """CREATE TRIGGER incident_search_delete AFTER DELETE ON incidents BEGIN
        DELETE FROM incident_search WHERE incident_id = old.id; END""",
]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in _SQLITE:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        _pg_trigram_index(bind)


def _pg_trigram_index(bind: sa.Connection) -> None:
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    except sa.exc.DBAPIError:  # no permission, or contrib not installed: search scans
        pass
    schema = bind.exec_driver_sql(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'"
    ).scalar()
    if schema is None:
        return
    bind.exec_driver_sql(f"CREATE INDEX ix_incidents_search ON incidents USING gin "
                         f"(lower({BODY}) {schema}.gin_trgm_ops)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS incident_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS incident_search")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_incidents_search")
