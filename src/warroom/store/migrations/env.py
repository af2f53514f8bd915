"""Alembic environment: the engine is handed in by warroom.store.db, never read from an ini."""

from __future__ import annotations

from alembic import context

from warroom.store.schema import metadata

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=engine.dialect.name == "sqlite",
                      transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
