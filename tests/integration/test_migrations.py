"""Migrations create the schema from nothing on both databases; an old schema is refused."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text

from gateway.store import schema
from gateway.store.database import make_engine
from gateway.store.tables import metadata
from tests.conftest import POSTGRES_URL, postgres_url_for_schema


@pytest.fixture(params=["sqlite"] + (["postgresql"] if POSTGRES_URL else []))
def empty_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        engine.dispose()
        return
    name = f"gw_mig_{tmp_path.name[-12:].replace('-', '_')}".lower()
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    engine = make_engine(postgres_url_for_schema(name))
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


def test_upgrade_from_empty_creates_every_table_and_is_repeatable(empty_engine):
    with pytest.raises(schema.SchemaOutOfDate, match="gateway db upgrade"):
        schema.check_current(empty_engine)
    before, after = schema.upgrade(empty_engine)
    assert (before, after) == (None, schema.head_revision())
    assert set(metadata.tables) <= set(inspect(empty_engine).get_table_names())
    schema.check_current(empty_engine)
    assert schema.upgrade(empty_engine) == (after, after)


def test_migrated_schema_matches_the_tables_in_code(empty_engine):
    """Autogenerate finds nothing to do: the migrations and tables.py agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    schema.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
