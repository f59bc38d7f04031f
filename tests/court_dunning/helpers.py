"""Builders shared by the court dunning tests: shops, claims the agency accepted, row counts."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from gateway.domain.shop import Shop
from gateway.service import claims as claim_service
from gateway.service.passwords import hash_password
from gateway.store import tables
from tests.factories import NOW, content

PASSWORD = "correct horse battery"


ACCOUNT = "merchant"  # the agency account every shop of these tests is on


def add_shop(gw, shop_id: str = "shop-a", seat: str | None = "BY",
             catalogue_overrides: dict[str, int] | None = None) -> Shop:
    """A shop with seat and catalogue overrides (the onboarding use case sets no overrides),
    on agency account ACCOUNT (client 1001 of the default connection)."""
    from gateway.domain.agency import AgencyAccount

    with gw.uow() as uow:
        if uow.agencies.account(ACCOUNT) is None:
            uow.agencies.add_account(AgencyAccount(ACCOUNT, "default", "1001", created_at=NOW),
                                     "dev-client-key-1001")
            uow.commit()
    shop = Shop(id=shop_id, agency_account=ACCOUNT, reference_prefix=shop_id.upper()[:6]
                .replace("-", ""), seat=seat,
                catalogue_overrides=dict(catalogue_overrides or {}), created_at=NOW)
    with gw.uow() as uow:
        uow.shops.add(shop, hash_password(PASSWORD))
        uow.commit()
    return shop


def submitted_claim(gw, shop_id: str = "shop-a", shop_claim_id: str = "INV-2026-0001",
                    file_number: str = "12345678901", now: datetime = NOW, **changes):
    """A claim the agency accepted (it has a file number), as the dispatcher leaves it; its
    dates are relative to `now` (see tests.factories.content)."""
    claim_service.submit_claim(gw.uow, shop_id, content(shop_claim_id, today=now.date(), **changes),
                               now=now)
    with gw.uow() as uow:
        claim = uow.claims.get(shop_id, shop_claim_id, for_update=True)
        claim.mark_submitted(file_number, now)
        uow.commit()
    return claim


def counts(gw) -> dict[str, int]:
    with gw.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (tables.claims, tables.claim_events, tables.outbox,
                          tables.court_dunning_requests)}


def audit_rows(gw) -> list:
    with gw.engine.connect() as conn:
        return conn.execute(select(tables.court_dunning_requests)
                            .order_by(tables.court_dunning_requests.c.id)).all()


def outbox_rows(gw) -> list:
    with gw.engine.connect() as conn:
        return conn.execute(select(tables.outbox).order_by(tables.outbox.c.id)).all()
