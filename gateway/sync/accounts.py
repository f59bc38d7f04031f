"""Which agency accounts a run syncs, each with its adapter and credentials, checked first.

The sync works per account, not per shop: an account's changes feed is read once however
many shops share the account, and every change is routed to its claim by file number
within the account. The accounts are those the selected shops are on, and those their
open claims were handed to (a claim stays on its account when its shop moves).
"""
from __future__ import annotations

from dataclasses import dataclass

from gateway.logs import get_logger
from gateway.service.agency_port import (AgencyAuthFailed, AgencyCredentials, AgencyError,
                                         AgencyPort, AgencyRoutes, AgencyTransient)
from gateway.service.unit_of_work import UnitOfWorkFactory

from .calls import AgencyCalls
from .report import SyncAborted, SyncReport
from .store import accounts_of_open_claims, has_open_claims

log = get_logger(__name__)


@dataclass(frozen=True)
class AccountAccess:
    account: str
    agency: AgencyPort
    creds: AgencyCredentials
    shop_ids: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"account {self.account}"


def accounts_to_sync(engine, read_uow: UnitOfWorkFactory, agencies: AgencyRoutes,
                     calls: AgencyCalls, report: SyncReport,
                     only: tuple[str, ...] = ()) -> list[AccountAccess]:
    """Every account of the selected shops (all by default) whose credentials its agency
    accepts. A shop without an account, or an account that is refused, is a configuration
    error, and an account whose agency cannot be reached is reported as unreachable: the
    others still sync (exit 2 at the end). When no account's agency can be reached the
    run is aborted (SyncAborted) before anything changed."""
    with read_uow() as uow:
        shops = [s for s in uow.shops.list() if not only or s.id in only]
        for shop_id in sorted(set(only) - {s.id for s in shops}):
            report.config_error(shop_id, "no such shop")
        shop_ids = [s.id for s in shops]
        owners: dict[str, set[str]] = {}
        for shop in shops:
            if shop.agency_account:
                owners.setdefault(shop.agency_account, set()).add(shop.id)
            elif not has_open_claims(engine, shop.id):
                continue  # nothing handed over and nothing to hand over: not an error
            else:
                report.config_error(shop.id, "the shop has no agency account")
        for account, shop_id in accounts_of_open_claims(engine, shop_ids):
            owners.setdefault(account, set()).add(shop_id)
        found = []
        for account in sorted(owners):
            try:
                agency, creds = agencies.route(uow, account)
            except AgencyAuthFailed as exc:
                report.config_error(f"account {account}", str(exc))
                continue
            found.append(AccountAccess(account, agency, creds, tuple(sorted(owners[account]))))
    usable = []
    unreachable: list[str] = []
    for access in found:
        try:
            calls(access.agency.check_credentials, access.creds)
        except AgencyAuthFailed as exc:
            log.error("sync_account_credentials_refused", account=access.account)
            report.config_error(access.label, f"the agency refused the credentials ({exc})")
            continue
        except AgencyTransient as exc:
            unreachable.append(f"agency unreachable ({access.label}): {exc}")
            report.account_unreachable(access.label, str(exc))
            continue
        except AgencyError as exc:
            report.config_error(access.label, f"the agency refused the credential check ({exc})")
            continue
        usable.append(access)
    if unreachable and not usable:
        raise SyncAborted("; ".join(unreachable))
    return usable

