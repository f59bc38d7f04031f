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


def test_0002_keeps_numbers_and_its_downgrade_numbers_what_is_unnumbered(empty_engine):
    """Events written after 0002 have no number until a feed read; going back to 0001
    numbers them in order, and coming back serves the same feed."""
    from alembic import command

    from functools import partial

    from gateway.store.unit_of_work import SqlUnitOfWork
    from gateway.service import claims as uc
    from gateway.service.shops import add_shop
    from tests.factories import NOW, content

    schema.upgrade(empty_engine)
    uow = partial(SqlUnitOfWork, empty_engine)
    add_shop(uow, "shop-a", password="correct horse battery")
    for i in range(3):
        uc.submit_claim(uow, "shop-a", content(f"A-{i}"), now=NOW)
    assert [c.seq for c in uc.list_changes(uow, "shop-a", 0, 1)] == [1]  # numbers all 3
    uc.submit_claim(uow, "shop-a", content("A-3"), now=NOW)  # left unnumbered

    command.downgrade(schema.alembic_config(empty_engine), "0001")
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT shop_seq FROM claim_events ORDER BY id")).scalars()\
            .all() == [1, 2, 3, 4]
        assert conn.execute(text("SELECT last_event_seq FROM shops")).scalar_one() == 4
    schema.upgrade(empty_engine)
    uc.submit_claim(uow, "shop-a", content("A-4"), now=NOW)
    feed = uc.list_changes(uow, "shop-a", 0, 10)
    assert [(c.seq, c.shop_claim_id) for c in feed] == [(i + 1, f"A-{i}") for i in range(5)]
