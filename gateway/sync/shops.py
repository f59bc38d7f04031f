"""Which shops a run syncs, each with its own agency credentials, checked before any change."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from gateway.logs import get_logger
from gateway.service.agency_port import (AgencyAuthFailed, AgencyCredentials, AgencyError,
                                         AgencyPort, AgencyTransient)
from gateway.service.unit_of_work import UnitOfWork, UnitOfWorkFactory

from .calls import AgencyCalls
from .report import SyncAborted, SyncReport

log = get_logger(__name__)

# (uow, shop_id) -> credentials; raises AgencyAuthFailed when the shop has none.
CredentialsLookup = Callable[[UnitOfWork, str], AgencyCredentials]


@dataclass(frozen=True)
class ShopAccess:
    shop_id: str
    creds: AgencyCredentials


def shops_to_sync(read_uow: UnitOfWorkFactory, agency: AgencyPort, calls: AgencyCalls,
                  credentials: CredentialsLookup, report: SyncReport,
                  only: tuple[str, ...] = ()) -> list[ShopAccess]:
    """Every shop of this agency whose credentials the agency accepts.

    A shop without or with refused credentials is a configuration error for that
    shop (the others still sync; exit 2 at the end). An agency that cannot be
    reached raises SyncAborted before anything changed.
    """
    found: list[ShopAccess] = []
    with read_uow() as uow:
        shops = [s for s in uow.shops.list() if not only or s.id in only]
        missing = set(only) - {s.id for s in shops}
        for shop_id in sorted(missing):
            report.config_error(shop_id, "no such shop")
        for shop in shops:
            if shop.agency != agency.name:
                continue  # synced by that agency's adapter, not this one
            try:
                found.append(ShopAccess(shop.id, credentials(uow, shop.id)))
            except AgencyAuthFailed as exc:
                report.config_error(shop.id, str(exc))
    usable = []
    for access in found:
        try:
            calls(agency.check_credentials, access.creds)
        except AgencyAuthFailed as exc:
            log.error("sync_shop_credentials_refused", shop_id=access.shop_id)
            report.config_error(access.shop_id, f"the agency refused the credentials ({exc})")
            continue
        except AgencyTransient as exc:
            raise SyncAborted(f"agency unreachable: {exc}") from None
        except AgencyError as exc:
            report.config_error(access.shop_id, f"the agency refused the credential check ({exc})")
            continue
        usable.append(access)
    return usable
