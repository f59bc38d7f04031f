"""Shop onboarding."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from gateway.domain.agency import reference_prefix_for, valid_prefix
from gateway.domain.errors import Conflict, DomainError, NotFound
from gateway.domain.handover import HandoverMode, HandoverPolicy
from gateway.domain.shop import Shop

from .agency_accounts import account_for_client
from .claims import utc_now
from .passwords import generate_password, hash_password
from .unit_of_work import DuplicateKey, UnitOfWorkFactory


@dataclass(frozen=True)
class NewShop:
    shop: Shop
    password: str
    password_generated: bool


def add_shop(uow_factory: UnitOfWorkFactory, shop_id: str, *, password: str | None = None,
             seat: str | None = None, account: str | None = None,
             agency_client_id: str | None = None, agency_client_key: str | None = None,
             agency_sandbox: bool = False, reference_prefix: str | None = None,
             handover: HandoverPolicy | None = None, now: datetime | None = None) -> NewShop:
    """Register a shop on `account`, or (the shorthand) on the account of a client id on the
    default connection, created when needed; with neither, its claims wait for an account.
    handover: when its claims go to the agency (default: at once)."""
    if not shop_id or len(shop_id) > 64 or not all(c.isalnum() or c in "-_." for c in shop_id):
        raise DomainError("shop id must be 1-64 characters of letters, digits, - _ .")
    if account and agency_client_id:
        raise DomainError("give an account or a client id, not both")
    if reference_prefix is not None and not valid_prefix(reference_prefix):
        raise DomainError("reference prefix must be 1-6 characters of A-Z and 0-9")
    _check_password(password)
    generated = password is None
    password = password or generate_password()
    now = now or utc_now()
    with uow_factory() as uow:
        if uow.shops.get(shop_id) is not None:
            raise Conflict(f"shop {shop_id!r} exists already")
        if account and uow.agencies.account(account) is None:
            raise NotFound(f"no account {account!r}")
        if agency_client_id:
            account = account_for_client(uow, agency_client_id, agency_client_key,
                                         agency_sandbox, now)
        prefix = reference_prefix or reference_prefix_for(shop_id, uow.shops.reference_prefixes())
        shop = Shop(id=shop_id, agency_account=account, reference_prefix=prefix, seat=seat,
                    handover=handover or HandoverPolicy(), created_at=now)
        try:
            uow.shops.add(shop, hash_password(password))
        except DuplicateKey:  # a concurrent add, or a prefix another shop has
            raise Conflict(f"shop {shop_id!r} exists already, or another shop has the "
                           f"reference prefix {prefix!r}") from None
        uow.commit()
    return NewShop(shop, password, generated)


def update_shop(uow_factory: UnitOfWorkFactory, shop_id: str, *, password: str | None = None,
                seat: str | None = None, agency_client_id: str | None = None,
                agency_client_key: str | None = None,
                agency_sandbox: bool | None = None, handover_mode: HandoverMode | None = None,
                handover_days_after_due: int | None = None,
                handover_days_after_reminder: int | None = None,
                now: datetime | None = None) -> list[str]:
    """Change what is given; returns the names of what changed. A client id (the shorthand)
    puts the shop on that client's account on the default connection; a key alone changes
    the key of the shop's account. The hand-over policy's parts not given stay as they are; it
    applies to claims submitted from then on (claims waiting already keep their day; other
    processes see it within seconds)."""
    _check_password(password)
    values: dict = {"seat": seat} if seat is not None else {}
    if password is not None:
        values["password_hash"] = hash_password(password)
    changed = sorted("password" if k == "password_hash" else k for k in values)
    if not values and agency_client_id is None and agency_client_key is None \
            and agency_sandbox is None and handover_mode is None \
            and handover_days_after_due is None and handover_days_after_reminder is None:
        return []
    with uow_factory() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            raise NotFound(f"no shop {shop_id!r}")
        if values:
            uow.shops.update_settings(shop_id, **values)
        handover = _changed_policy(shop.handover, handover_mode, handover_days_after_due,
                                   handover_days_after_reminder)
        if handover is not None:
            uow.shops.set_handover_policy(shop_id, handover)
            changed.append(f"handover_policy ({handover})")
        if agency_client_id is not None or agency_sandbox is not None:
            current = uow.agencies.credentials(shop.agency_account) if shop.agency_account \
                else None
            client_id = agency_client_id or (current.client_id if current else None)
            if not client_id:
                raise DomainError("the shop has no agency account: give a client id or "
                                  "`gateway shops set SHOP --account NAME`")
            sandbox = agency_sandbox if agency_sandbox is not None else \
                bool(current and current.sandbox)
            account = account_for_client(uow, client_id, agency_client_key, sandbox,
                                         now or utc_now())
            uow.shops.update_settings(shop_id, agency_account=account)
            uow.shops.give_account_to_waiting_claims(shop_id, account)
            changed.append("agency_account")
        elif agency_client_key is not None:
            if not shop.agency_account:
                raise DomainError("the shop has no agency account to set a key for")
            uow.agencies.update_account(shop.agency_account, client_key=agency_client_key)
            changed.append("agency_client_key")
        uow.commit()
    return sorted(changed)


def _changed_policy(policy: HandoverPolicy, mode: HandoverMode | None, days_after_due: int | None,
                    days_after_reminder: int | None) -> HandoverPolicy | None:
    """The policy with the parts given replaced; None when nothing changes."""
    parts = {name: value for name, value in (("mode", mode), ("days_after_due", days_after_due),
                                             ("days_after_reminder", days_after_reminder))
             if value is not None}
    changed = replace(policy, **parts)  # checks the days (DomainError)
    return changed if changed != policy else None


def _check_password(password: str | None) -> None:
    if password is not None and len(password) < 12:
        raise DomainError("password must have at least 12 characters")
