"""Throttling failed logins, per shop id and per client address.

Each failure is counted twice: for the shop id tried (only when such a shop exists) and
for the address it came from. A count above its free failures blocks every further login
of that shop id or from that address for a delay that doubles with each failure (first
delay, capped at the longest); at the lockout threshold the block is a lockout of its own
length. While blocked, a login is answered at once with the authentication fault and no
password hash is computed; it is not counted (it guessed nothing). Failures are forgotten
after a quiet period; a successful login forgets the shop's (never the address's: a
guesser could otherwise clear its count with an account of its own). An operator lists
and lifts blocks (`gateway logins`).

Why two counts with different thresholds: the address count stops one guessing address
early (defaults: delays after 5, lockout at 20) and never touches other addresses, also
not the shop's own; the shop count (delays after 20, lockout at 100) stops guessing spread
over many addresses. An address's failures beyond its lockout threshold (each one after a
lockout ended locks it again) do not count for the shop id, so one address adds at most 20
to a shop's count: one address alone can neither delay nor lock out a shop, and every
block ends by itself. Checks the process has just seen succeed (the facade's cache) are
never throttled.

The counts live behind a store port (gateway.store.login_throttle_store), shared by every
process on the database; increments are atomic there.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable, Protocol

SHOP, ADDRESS = "shop", "address"
KINDS = (SHOP, ADDRESS)


@dataclass(frozen=True)
class Rule:
    """Per kind: failures that cost nothing, and the count that locks out."""

    free_failures: int
    lockout_failures: int


@dataclass(frozen=True)
class ThrottlePolicy:
    shop: Rule = Rule(20, 100)
    address: Rule = Rule(5, 20)
    # Seconds (no float literals in gateway/service: tests/unit/test_money.py).
    first_delay_s: float = 1
    max_delay_s: float = 60
    lockout_s: float = 900
    forget_after_s: float = 3600

    @classmethod
    def from_settings(cls, settings) -> "ThrottlePolicy":
        return cls(shop=Rule(settings.login_shop_free_failures,
                             settings.login_shop_lockout_failures),
                   address=Rule(settings.login_address_free_failures,
                                settings.login_address_lockout_failures),
                   first_delay_s=settings.login_delay_s, max_delay_s=settings.login_max_delay_s,
                   lockout_s=settings.login_lockout_s,
                   forget_after_s=settings.login_forget_after_s)

    def rule(self, kind: str) -> Rule:
        return self.shop if kind == SHOP else self.address

    def block_after(self, kind: str, failures: int) -> tuple[float, bool]:
        """(seconds no login is checked, whether that is a lockout) after the n-th failure."""
        rule = self.rule(kind)
        if failures >= rule.lockout_failures:
            return self.lockout_s, True
        beyond = failures - rule.free_failures
        if beyond <= 0:
            return 0, False
        return min(self.max_delay_s, self.first_delay_s * 2 ** min(beyond - 1, 60)), False


@dataclass(frozen=True)
class LoginFailures:
    """The remembered failures of one shop id or address."""

    kind: str
    subject: str
    failures: int
    last_failure_at: datetime
    blocked_until: datetime | None
    locked: bool

    def blocks(self, now: datetime) -> bool:
        return self.blocked_until is not None and self.blocked_until > now

    @property
    def reason(self) -> str:
        return "lockout" if self.locked else "delay"


def address_key(text: str | None) -> str | None:
    """The subject an address is counted under: an IPv4 address as it is, an IPv6 address
    as its /64 (one site or host gets a whole /64 and could count afresh from each of its
    addresses); a port or brackets are dropped. Not an IP address: the text, cut to 64."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        address = ipaddress.ip_address(_without_port(text))
    except ValueError:
        return text[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        if address.is_loopback:
            return str(address)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _without_port(text: str) -> str:
    if text.startswith("["):  # [v6]:port
        return text[1:].partition("]")[0]
    if text.count(":") == 1:  # v4:port
        return text.partition(":")[0]
    return text


BlockRule = Callable[[str, int], tuple[float, bool]]


class LoginFailureStore(Protocol):
    def get(self, keys: Iterable[tuple[str, str]]) -> list[LoginFailures]: ...
    def count_failure(self, keys: Iterable[tuple[str, str]], now: datetime,
                      forget_before: datetime, block_after: BlockRule) -> list[LoginFailures]:
        """Add one failure to each key atomically (a count last raised before forget_before
        starts again at 1) and block each for block_after(kind, new count) seconds (never
        shortening a longer block); returns the rows as they are now."""
    def forget(self, kind: str, subject: str) -> bool:
        """Delete the row; True when there was one."""
    def forget_stale(self, forget_before: datetime, now: datetime) -> int: ...
    def list(self) -> list[LoginFailures]: ...
    def lockouts(self, now: datetime) -> dict[str, int]:
        """Current lockouts per kind."""


class LoginThrottle:
    """The throttle of one process; thread-safe (the store is)."""

    def __init__(self, store: LoginFailureStore, policy: ThrottlePolicy,
                 clock: Callable[[], datetime]):
        self.store, self.policy, self.clock = store, policy, clock
        self._last_sweep: datetime | None = None

    def check(self, shop_id: str, address: str | None) -> tuple[list[LoginFailures], bool]:
        """Before a password is checked: (the rows that block this login now, lockouts
        first; whether the shop has failures that a success must forget)."""
        keys = [(SHOP, shop_id)] + ([(ADDRESS, address)] if address else [])
        now = self.clock()
        rows = self.store.get(keys)
        blocking = sorted((r for r in rows if r.blocks(now)), key=lambda r: (not r.locked, r.kind))
        return blocking, any(r.kind == SHOP for r in rows)

    def failed(self, shop_id: str | None, address: str | None) -> list[LoginFailures]:
        """Count a failed login: for the address and the shop id (None: no such shop)."""
        now = self.clock()
        forget_before = now - timedelta(seconds=self.policy.forget_after_s)
        rows = []
        if address:
            rows = self.store.count_failure([(ADDRESS, address)], now, forget_before,
                                            self.policy.block_after)
        # Past its lockout threshold an address is held by its own lockouts; its further
        # failures do not count for the shop id, so one address alone never delays a shop.
        if shop_id and not (rows and rows[0].failures > self.policy.address.lockout_failures):
            rows += self.store.count_failure([(SHOP, shop_id)], now, forget_before,
                                             self.policy.block_after)
        self._sweep(now, forget_before)
        return rows

    def succeeded(self, shop_id: str) -> None:
        self.store.forget(SHOP, shop_id)

    def _sweep(self, now: datetime, forget_before: datetime) -> None:
        # Rows of forgotten failures go now and then, so guessed shop ids and addresses
        # do not pile up.
        if self._last_sweep is not None and now - self._last_sweep < timedelta(minutes=1):
            return
        self._last_sweep = now
        self.store.forget_stale(forget_before, now)


def unlock(store: LoginFailureStore, kind: str, subject: str) -> bool:
    """An operator lifts a block and forgets the failures; False when there were none."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    return store.forget(kind, subject)
