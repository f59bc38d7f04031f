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


def test_0003_moves_shop_credentials_to_accounts_and_claims_keep_theirs(empty_engine):
    """An installation of 0002: every client id becomes an account on the default connection
    (shops that shared one share the account), claims remember the account and the
    reference they were sent under, applied change keys move to the account; the gateway
    then works on, and the downgrade gives the credentials back to the shops."""
    from datetime import datetime, timezone

    from alembic import command
    from functools import partial

    from gateway.service import claims as uc
    from gateway.store.unit_of_work import SqlUnitOfWork
    from tests.factories import NOW, content

    schema.upgrade(empty_engine, "0002")
    at = datetime(2026, 11, 1, tzinfo=timezone.utc).replace(tzinfo=None)
    with empty_engine.begin() as conn:
        for shop, client, key, sandbox in (("shop-de", "1001", "k1", False),
                                           ("shop-at", "1001", "k1", False),
                                           ("shop-test", "1002", "k2", True),
                                           ("shop-new", None, None, False)):
            conn.execute(text(
                "INSERT INTO shops (id, password_hash, agency, agency_client_id, "
                "agency_client_key, agency_sandbox, seat, catalogue_overrides, last_event_seq, "
                "created_at) VALUES (:id, 'x', 'mediafinanz', :client, :key, :sandbox, NULL, "
                "'{}', 0, :at)"), {"id": shop, "client": client, "key": key, "sandbox": sandbox,
                                    "at": at})
    uow = partial(SqlUnitOfWork, empty_engine)
    # A claim of 0002's time, handed over under its shop claim id, and one applied change.
    with empty_engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO claims (shop_id, shop_claim_id, claim_type, reason, principal, "
            "dunning_fees, currency, date_of_origin, counter_performance_rendered, content_hash, "
            "state, agency, agency_file_number, rejection_reasons, total_debts, paid, "
            "outstanding, current_payout, sum_payout, payouts, created_at, updated_at, version) "
            "VALUES ('shop-at', 'RE-1', 'GOODS_SOLD', 'x', 1000, 0, 'EUR', '2026-09-01', :t, "
            "'h', 'SUBMITTED', 'mediafinanz', '12345678901', '[]', 1000, 0, 1000, 0, 0, '[]', "
            ":at, :at, 1)"), {"t": True, "at": at})
        conn.execute(text("INSERT INTO debtors (claim_id, kind, salutation, last_name, country) "
                          "SELECT id, 'PERSON', 'MS', 'Weiß', 'DE' FROM claims"))
        conn.execute(text("INSERT INTO applied_agency_changes (agency, change_key, applied_at) "
                          "VALUES ('mediafinanz', '12345678901:10201:2026-11-01T00:00:00', :at),"
                          " ('mediafinanz', '99999999999:10201:2026-11-01T00:00:00', :at)"),
                     {"at": at})

    schema.upgrade(empty_engine)

    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT name, connection, client_id, client_key FROM "
                                 "agency_accounts ORDER BY name")).all() == [
            ("client-1001", "default", "1001", "k1"),
            ("client-1002-sandbox", "default-sandbox", "1002", "k2")]
        assert dict(conn.execute(text("SELECT id, agency_account FROM shops")).all()) == {
            "shop-de": "client-1001", "shop-at": "client-1001",
            "shop-test": "client-1002-sandbox", "shop-new": None}
        assert conn.execute(text("SELECT agency_account, agency_reference FROM claims"))\
            .one() == ("client-1001", "RE-1")
        # The key of a change for a file number the gateway never knew dedupes nothing.
        assert conn.execute(text("SELECT agency_account, change_key FROM "
                                 "applied_agency_changes")).all() == [
            ("client-1001", "12345678901:10201:2026-11-01T00:00:00")]
    with uow() as u:
        assert u.claims.get_by_file_number("client-1001", "12345678901").shop_claim_id == "RE-1"
    receipt = uc.submit_claim(uow, "shop-de", content("RE-1"), now=NOW)
    assert (receipt.claim.agency_account, receipt.claim.agency_reference) == (
        "client-1001", "SHOPDE.RE-1")

    command.downgrade(schema.alembic_config(empty_engine), "0002")
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT id, agency_client_id, agency_client_key, agency_sandbox "
                                 "FROM shops ORDER BY id")).all() == [
            ("shop-at", "1001", "k1", False), ("shop-de", "1001", "k1", False),
            ("shop-new", None, None, False), ("shop-test", "1002", "k2", True)]
