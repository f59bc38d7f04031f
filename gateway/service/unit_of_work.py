"""The storage port: repositories and a unit of work that commits claim + event + outbox together."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterator, Protocol

from gateway.domain.agency import AgencyAccount, AgencyConnection
from gateway.domain.model import Claim, ClaimEvent
from gateway.domain.handover import HandoverPolicy
from gateway.domain.shop import Shop, ShopHandover

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
    def get_by_file_number(self, account: str, file_number: str, *,
                           for_update: bool = False) -> Claim | None: ...
    def fingerprint(self, claim_id: int) -> str: ...
    def withdraw_waiting_handover(self, claim_id: int, now: datetime) -> bool:
        """End the claim's hand-over unsent if no worker ever took it; True when it did."""
    def last_dunning_court(self, claim_id: int) -> str | None:
        """The dunning court named by the claim's latest court dunning request, if any."""
    def events(self, claim_id: int) -> list[ClaimEvent]: ...
    def changes(self, shop_id: str, after_seq: int, limit: int) -> list[ClaimChange]: ...
    def iter_ids(self, *, states: list[str] | None = None, shop_id: str | None = None,
                 after_id: int = 0, batch: int = 1000) -> Iterator[int]: ...
    def iter_closed_before(self, cutoff: datetime, closed_states: list[str]) -> Iterator[int]: ...


class ShopRepository(Protocol):
    def add(self, shop: Shop, password_hash: str) -> None: ...
    def get(self, shop_id: str) -> Shop | None: ...
    def handover_of(self, shop_id: str) -> ShopHandover | None:
        """Agency account, reference prefix and hand-over policy of the shop's new claims;
        None: unknown shop."""
    def set_handover_policy(self, shop_id: str, policy: HandoverPolicy) -> None: ...
    def password_hash(self, shop_id: str) -> str | None: ...
    def reference_prefixes(self) -> set[str]: ...
    def on_account(self, account: str) -> list[str]: ...
    def give_account_to_waiting_claims(self, shop_id: str, account: str) -> int: ...
    def list(self) -> list[Shop]: ...
    def update_settings(self, shop_id: str, **values: Any) -> None: ...
    def number_new_events(self, shop_id: str, at_most: int) -> int:
        """Number the shop's committed, unnumbered events, oldest first; returns how many."""


class AgencyRepository(Protocol):
    def add_connection(self, connection: AgencyConnection) -> None: ...
    def connection(self, name: str) -> AgencyConnection | None: ...
    def connections(self) -> list[AgencyConnection]: ...
    def update_connection(self, name: str, **values: Any) -> None: ...
    def add_account(self, account: AgencyAccount, client_key: str | None) -> None: ...
    def account(self, name: str) -> AgencyAccount | None: ...
    def account_for_client(self, connection: str, client_id: str) -> AgencyAccount | None: ...
    def accounts(self) -> list[AgencyAccount]: ...
    def update_account(self, name: str, **values: Any) -> None: ...
    def credentials(self, name: str) -> AgencyCredentials | None: ...


class UnitOfWork(Protocol):
    claims: ClaimRepository
    shops: ShopRepository
    agencies: AgencyRepository

    def __enter__(self) -> "UnitOfWork": ...
    def __exit__(self, *exc: Any) -> None: ...
    def commit(self) -> None:
        """Store every claim touched, its pending events and outbox messages, atomically."""
    def commit_new_claim(self, claim: Claim) -> None:
        """add(claim) + commit() for a claim just received, in as few statements as the store can."""
    def rollback(self) -> None: ...
    def record(self, table: str, values: dict[str, Any]) -> None:
        """Write an audit row (e.g. court dunning request) in the same transaction."""
    def keep_unmatched_change(self, account: str, change_key: str, status: Any,
                              at: datetime) -> bool:
        """Store an agency change for a file number no claim of the account has (an
        AgencyStatus); False when it was stored before. Nothing reported is ever dropped."""
    def change_seen(self, account: str, change_key: str, at: datetime) -> bool:
        """Mark an agency change as applied; False when it was applied before."""


# Called as factory() for a read-write unit, factory(read_only=True) for one that only reads.
UnitOfWorkFactory = Callable[..., UnitOfWork]
