"""The storage port: repositories and a unit of work that commits claim + event + outbox together."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterator, Protocol

from gateway.domain.model import Claim, ClaimEvent
from gateway.domain.shop import Shop

from .agency_port import AgencyCredentials


class DuplicateKey(Exception):
    """A unique key (shop + shop claim id, shop id) is already taken, maybe by a concurrent writer."""


class ConcurrentUpdate(Exception):
    """The claim changed since it was read; the use case may retry."""


@dataclass(frozen=True)
class ClaimChange:
    """One entry of a shop's changes feed; seq is the shop's own, gap-free order."""

    seq: int
    shop_claim_id: str
    event: ClaimEvent


class ClaimRepository(Protocol):
    def add(self, claim: Claim) -> None: ...
    def get(self, shop_id: str, shop_claim_id: str, *, for_update: bool = False) -> Claim | None: ...
    def get_by_id(self, claim_id: int, *, for_update: bool = False) -> Claim | None: ...
    def get_by_file_number(self, agency: str, file_number: str, *,
                           for_update: bool = False) -> Claim | None: ...
    def fingerprint(self, claim_id: int) -> str: ...
    def events(self, claim_id: int) -> list[ClaimEvent]: ...
    def changes(self, shop_id: str, after_seq: int, limit: int) -> list[ClaimChange]: ...
    def iter_ids(self, *, states: list[str] | None = None, shop_id: str | None = None,
                 after_id: int = 0, batch: int = 1000) -> Iterator[int]: ...
    def iter_closed_before(self, cutoff: datetime, closed_states: list[str]) -> Iterator[int]: ...


class ShopRepository(Protocol):
    def add(self, shop: Shop, password_hash: str, agency_client_key: str | None) -> None: ...
    def get(self, shop_id: str) -> Shop | None: ...
    def agency_of(self, shop_id: str) -> str | None:
        """The shop's agency (it never changes once the shop exists); None: unknown shop."""
    def password_hash(self, shop_id: str) -> str | None: ...
    def agency_credentials(self, shop_id: str) -> AgencyCredentials | None: ...
    def list(self) -> list[Shop]: ...
    def update_settings(self, shop_id: str, **values: Any) -> None: ...
    def number_new_events(self, shop_id: str, at_most: int) -> int:
        """Number the shop's committed, unnumbered events, oldest first; returns how many."""


class UnitOfWork(Protocol):
    claims: ClaimRepository
    shops: ShopRepository

    def __enter__(self) -> "UnitOfWork": ...
    def __exit__(self, *exc: Any) -> None: ...
    def commit(self) -> None:
        """Store every claim touched, its pending events and outbox messages, atomically."""
    def commit_new_claim(self, claim: Claim) -> None:
        """add(claim) + commit() for a claim just received, in as few statements as the store can."""
    def rollback(self) -> None: ...
    def record(self, table: str, values: dict[str, Any]) -> None:
        """Write an audit row (e.g. court dunning request) in the same transaction."""
    def change_seen(self, agency: str, change_key: str, at: datetime) -> bool:
        """Mark an agency change as applied; False when it was applied before."""


# Called as factory() for a read-write unit, factory(read_only=True) for one that only reads.
UnitOfWorkFactory = Callable[..., UnitOfWork]
