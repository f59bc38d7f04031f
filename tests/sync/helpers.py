"""Builders for the sync tests: shops with their own agency clients, claims the simulator knows."""
from __future__ import annotations

from sqlalchemy import func, select

from dataclasses import replace

from gateway.app import AgencyRegistry
from gateway.service import claims as uc
from gateway.service.shops import add_shop
from gateway.store import tables
from gateway.sync import SyncReport, run_sync
from tests.factories import NOW, content

CLIENTS = {1001: "client-key-shop-a", 1002: "client-key-shop-b"}
SHOP_CLIENT = {"shop-a": 1001, "shop-b": 1002}


def add_shops(gw, *shop_ids: str, keys: dict[str, str] | None = None) -> None:
    """Each shop with its own agency client id and key."""
    for shop_id in shop_ids or ("shop-a", "shop-b"):
        client = SHOP_CLIENT[shop_id]
        add_shop(gw.uow, shop_id, password="correct horse battery",
                 agency_client_id=str(client),
                 agency_client_key=(keys or {}).get(shop_id, CLIENTS[client]))


def seed(gw, sim, shop_id: str, count: int, prefix: str = "INV") -> list[tuple[str, str]]:
    """Claims stored by the gateway AND handed to the simulated agency: (shop claim id, file)."""
    made = []
    for i in range(count):
        claim_content = content(f"{prefix}-{shop_id}-{i:04d}")
        stored = uc.submit_claim(gw.uow, shop_id, claim_content, now=NOW).claim
        # As the worker hands it over: under its agency reference.
        number, errors = sim.simulator.new_claim(
            SHOP_CLIENT[shop_id], replace(claim_content, shop_claim_id=stored.agency_reference))
        assert not errors, errors
        with gw.uow() as uow:
            claim = uow.claims.get(shop_id, claim_content.shop_claim_id, for_update=True)
            claim.mark_submitted(number, NOW)
            uow.commit()
        made.append((claim_content.shop_claim_id, number))
    return made


def sync(gw, sim, **options) -> SyncReport:
    agencies = AgencyRegistry(gw.settings.replace(agency_timeout_s=2.0), default_url=sim.url)
    try:
        return run_sync(gw, agencies, correlation_id="test-run", backoff_s=(0.01,), **options)
    finally:
        agencies.close()


def history(gw, shop_id: str, shop_claim_id: str):
    return uc.get_history(gw.read_uow, shop_id, shop_claim_id)


def status_events(gw, shop_id: str, shop_claim_id: str) -> list[str]:
    _, events = history(gw, shop_id, shop_claim_id)
    return [e.state_after.value for e in events if e.what == "agency_status"]


def count(gw, table) -> int:
    with gw.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def claim_ids(gw) -> list[int]:
    with gw.engine.connect() as conn:
        return conn.execute(select(tables.claims.c.id).order_by(tables.claims.c.id)).scalars().all()


def event_count(gw) -> int:
    return count(gw, tables.claim_events)
