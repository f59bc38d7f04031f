"""Alembic environment: the engine comes from gateway.store.schema.alembic_config."""
from alembic import context

from gateway.store.tables import metadata

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
