"""Alembic environment: the engine comes from gateway.store.schema.alembic_config."""
from alembic import context

from gateway.store.tables import metadata

engine = context.config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch migrations rebuild a table (create, copy, drop, rename); with foreign keys
        # enforced, dropping a referenced table fails. The pragma only takes effect outside
        # a transaction, so it goes to the driver connection before SQLAlchemy begins one.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=sqlite)
        with context.begin_transaction():
            context.run_migrations()
    finally:
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
