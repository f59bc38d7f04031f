"""Shop onboarding."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.domain.errors import Conflict, DomainError, NotFound
from gateway.domain.shop import Shop

from .claims import utc_now
from .passwords import generate_password, hash_password
from .unit_of_work import DuplicateKey, UnitOfWorkFactory

KNOWN_AGENCIES = ("mediafinanz",)


@dataclass(frozen=True)
class NewShop:
    shop: Shop
    password: str
    password_generated: bool


def add_shop(uow_factory: UnitOfWorkFactory, shop_id: str, *, password: str | None = None,
             agency: str = "mediafinanz", seat: str | None = None,
             agency_client_id: str | None = None, agency_client_key: str | None = None,
             agency_sandbox: bool = False, now: datetime | None = None) -> NewShop:
    if not shop_id or len(shop_id) > 64 or not all(c.isalnum() or c in "-_." for c in shop_id):
        raise DomainError("shop id must be 1-64 characters of letters, digits, - _ .")
    if agency not in KNOWN_AGENCIES:
        raise DomainError(f"unknown agency {agency!r}; known: {', '.join(KNOWN_AGENCIES)}")
    _check_password(password)
    generated = password is None
    password = password or generate_password()
    shop = Shop(id=shop_id, agency=agency, seat=seat, agency_client_id=agency_client_id,
                agency_sandbox=agency_sandbox, created_at=now or utc_now())
    with uow_factory() as uow:
        try:
            uow.shops.add(shop, hash_password(password), agency_client_key)
        except DuplicateKey:
            raise Conflict(f"shop {shop_id!r} exists already") from None
        uow.commit()
    return NewShop(shop, password, generated)


def update_shop(uow_factory: UnitOfWorkFactory, shop_id: str, *, password: str | None = None,
                seat: str | None = None, agency_client_id: str | None = None,
                agency_client_key: str | None = None,
                agency_sandbox: bool | None = None) -> list[str]:
    """Change what is given; returns the names of what changed."""
    _check_password(password)
    values = {"seat": seat, "agency_client_id": agency_client_id,
              "agency_client_key": agency_client_key, "agency_sandbox": agency_sandbox}
    values = {k: v for k, v in values.items() if v is not None}
    if password is not None:
        values["password_hash"] = hash_password(password)
    if not values:
        return []
    with uow_factory() as uow:
        if uow.shops.get(shop_id) is None:
            raise NotFound(f"no shop {shop_id!r}")
        uow.shops.update_settings(shop_id, **values)
        uow.commit()
    return sorted("password" if k == "password_hash" else k for k in values)


def _check_password(password: str | None) -> None:
    if password is not None and len(password) < 12:
        raise DomainError("password must have at least 12 characters")
