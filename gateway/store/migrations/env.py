"""Alembic environment: runs on the connection handed over by gateway.store.migrate."""

from alembic import context

from gateway import models  # noqa: F401  (registers every table)
from gateway.store.base import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
