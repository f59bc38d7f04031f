"""The outbox worker: lease, commit, call the agency, record the outcome.

One loop thread leases rows (up to the free slots of the pool), hands each to a
pool thread that calls the agency with no transaction open, and records the
outcomes in batches. Leases are committed before any call, so a worker killed
at any moment loses nothing: its rows fall free when their lease runs out.

Fair share: while a worker serves several agency connections, one connection may hold at
most GATEWAY_WORKER_AGENCY_SHARE of the pool's threads (rows running or queued). A slow
agency that still answers would otherwise fill every thread in proportion to its latency
(the circuit breaker acts on failures only); its rows above the share are left to the
next lease, the other agencies' rows go out meanwhile.

On SQLite one worker at a time: the loop holds a lock row (sync_checkpoints,
name outbox-worker-lock) with an expiry it renews; a second worker waits until
it is free (or has expired because its holder died).
"""
from __future__ import annotations

import math
import os
import queue
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import structlog

from gateway.service.agency_port import AgencyCredentials, AgencyError, AgencyPort, AgencyRoutes
from gateway.service.claims import Clock
from gateway.store import outbox_store as store
from gateway.store.outbox_store import OutboxRow
from gateway.store.repositories import (SqlAgencyRepository, SqlClaimRepository,
                                        SqlShopRepository)
from gateway.store.unit_of_work import KeptConnectionUnitOfWork

from .breaker import CircuitBreaker
from .delivery import AUTH_FAILED, TRANSIENT, UNDELIVERABLE, Outcome, deliver, describe
from .metrics import DELIVERIES, DELIVERY_SECONDS, register_outbox_metrics
from .record import RetryPolicy, record_batch

log = structlog.get_logger("gateway.dispatch")

PRUNE_EVERY_S = 3600.0
Route = tuple[AgencyPort, AgencyCredentials]  # an account's adapter and credentials

# Gathering outcomes into one batch: stop when none came for GAP, or after MAX.
GATHER_GAP_S = 0.001
GATHER_MAX_S = 0.005


class Dispatcher:
    """Drains the outbox of one database with `concurrency` agency calls in flight.

    poll_s: how long an idle worker waits before looking again (a new row goes out
    within about that long). initial_status: read the claim's status right after
    the submit (a second agency call per claim; off by default because the status
    sync reports the same first status and the call halves throughput).
    """

    def __init__(self, gw, agencies: AgencyRoutes, *,
                 concurrency: int | None = None, lease_s: float | None = None,
                 policy: RetryPolicy | None = None, poll_s: float = 0.25,
                 initial_status: bool = False, credentials_ttl_s: float = 10.0,
                 worker_id: str | None = None, clock: Clock | None = None,
                 breaker_threshold: int = 5, breaker_open_s: float = 10.0):
        settings = gw.settings
        self.gw = gw
        # Leases, backoff and event times: the gateway's clock, like every other writer's.
        self.clock = clock or gw.clock
        self.agencies = agencies
        self.concurrency = concurrency or settings.worker_concurrency
        self.lease_s = lease_s or settings.outbox_lease_s
        self.policy = policy or RetryPolicy(max_attempts=settings.outbox_max_attempts,
                                            max_age_s=settings.outbox_max_age_s)
        self.poll_s = poll_s
        self.prefetch = max(1, self.concurrency // 2)
        # Rows (running or queued) one connection may hold while there are several.
        self.agency_limit = max(1, math.floor(self.concurrency * settings.worker_agency_share))
        self.initial_status = initial_status
        self.worker_id = worker_id or f"{socket.gethostname()[:30]}:{os.getpid()}:" \
                                      f"{uuid.uuid4().hex[:6]}"
        self.sqlite = settings.is_sqlite
        self._creds_ttl = credentials_ttl_s
        self._routes: dict[str | None, tuple[float, Route | Exception]] = {}
        self._routes_lock = threading.Lock()
        self._done: queue.Queue[Outcome] = queue.Queue()
        self._stop = threading.Event()
        self._in_flight = 0
        self._conn = None  # the loop thread's kept connection (lease, renew and record)
        self._renew_at = 0.0
        self._prune_at = 0.0
        self._breaker_args = (breaker_threshold, breaker_open_s)
        self._breakers: dict[int, CircuitBreaker] = {}  # per adapter, i.e. per connection
        self._breakers_lock = threading.Lock()
        # The loop thread's tally of rows handed to the pool and not yet recorded, per
        # connection, and which connection each row went to; the accounts' connections,
        # read again every credentials_ttl_s.
        self._held: dict[str, int] = {}
        self._connection_of_row: dict[int, str] = {}
        self._connection_of: dict[str, str] = {}
        self._accounts_read_at = -math.inf
        self.delivered = 0  # rows recorded (any outcome), for benchmarks and tests

    # -- control -----------------------------------------------------------------
    def stop(self) -> None:
        """Ask the loop to finish: no new leases, in-flight calls complete and are recorded."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        """Run until stop(); returns after the in-flight deliveries are recorded."""
        log.info("worker_started", worker_id=self.worker_id, concurrency=self.concurrency,
                 lease_s=self.lease_s, database="sqlite" if self.sqlite else "postgresql")
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="outbox-call")
        try:
            self._loop(pool)
        finally:
            pool.shutdown(wait=True)
            self._record_ready(block_s=0)
            if self.sqlite:
                self._release_lock()
            self._drop_connection()
            log.info("worker_stopped", worker_id=self.worker_id, recorded=self.delivered)

    # -- the loop ------------------------------------------------------------------
    def _loop(self, pool: ThreadPoolExecutor) -> None:
        lock_renew_at = 0.0
        holds_lock = not self.sqlite
        while not self._stop.is_set():
            if self.sqlite and time.monotonic() >= lock_renew_at:
                holds_lock = self._take_lock(holds_lock)
                lock_renew_at = time.monotonic() + (self.lease_s / 3 if holds_lock else self.poll_s)
            self._heartbeat()
            self._prune_delivered()
            leased: list[tuple] = []
            # A few rows beyond the pool's threads wait in its queue, so a thread that
            # finishes starts its next call at once instead of waiting for this loop to
            # record and lease (two commits). They are leased like the rest: a crash
            # loses nothing, and a claim's next message is never among them.
            free = self.concurrency + self.prefetch - self._in_flight
            if holds_lock and free > 0:
                leased = self._lease(free)
                for row, claim, route in leased:
                    self._in_flight += 1
                    key = self._connection_of_claim(claim)
                    if key is not None:
                        self._connection_of_row[row.id] = key
                        self._held[key] = self._held.get(key, 0) + 1
                    pool.submit(self._deliver, row, claim, route)
            # Wait for a result when the pool is full or there was nothing to lease; a new
            # row is seen within poll_s.
            wait = self.poll_s if not leased else 0.0
            if self._in_flight >= self.concurrency + self.prefetch:
                wait = self.poll_s
            self._record_ready(block_s=wait)
        while self._in_flight:
            self._heartbeat()
            self._record_ready(block_s=min(1.0, self.lease_s / 6))

    def _prune_delivered(self) -> None:
        """Once an hour, delete rows delivered longer ago than GATEWAY_KEEP_DELIVERED_DAYS, a
        batch per transaction so no lock is held long (any worker may; the others find
        nothing)."""
        now = time.monotonic()
        if now < self._prune_at:
            return
        self._prune_at = now + PRUNE_EVERY_S
        before = self.clock() - timedelta(days=self.gw.settings.keep_delivered_days)
        deleted = 0
        try:
            conn = self._connection()
            while not self._stop.is_set():
                with conn.begin():
                    n = store.prune_delivered(conn, before)
                deleted += n
                if n < store.PRUNE_BATCH:
                    break
        except Exception as exc:  # noqa: BLE001 - the next hour tries again
            self._drop_connection()
            log.warning("outbox_prune_failed", error=describe(exc)[:300])
        if deleted:
            log.info("outbox_pruned", deleted=deleted)

    def _heartbeat(self) -> None:
        """Every third of the lease, extend the leases of the rows in flight: an agency call
        that takes longer than the lease never lets another worker (or this one) take its
        row again, and a killed worker's rows come free one lease after its last beat."""
        now = time.monotonic()
        if not self._in_flight or now < self._renew_at:
            return
        self._renew_at = now + self.lease_s / 3
        try:
            conn = self._connection()
            with conn.begin():
                store.renew_leases(conn, self.worker_id, self.lease_s, self.clock())
        except Exception as exc:  # noqa: BLE001 - the next beat tries again
            self._drop_connection()
            log.warning("outbox_lease_renewal_failed", error=describe(exc)[:300])

    def _lease(self, limit: int) -> list[tuple]:
        """Lease rows and read what their calls need: [(row, claim or None, route)], the
        route being the (adapter, credentials) of the claim's agency account or the error
        that there is none.

        One short transaction for the whole batch (one query for all its claims instead
        of a connection and a query per row); it commits before any agency call.
        """
        try:
            conn = self._connection()
            with conn.begin():
                reader = _Reader(conn)
                self._read_accounts(reader)
                rows = store.lease(conn, self.worker_id, limit, self.lease_s, self.clock(),
                                   excluded_accounts=self._accounts_at_limit())
                if not rows:
                    return []
                claims = reader.claims.get_many([row.claim_id for row in rows])
                found = [(row, claim, self._route_or_error(reader, claim))
                         for row, claim in ((row, claims.get(row.claim_id)) for row in rows)]
                taken, over = self._within_share(found)
                # In the same transaction: as if never leased (not even an attempt counted).
                store.give_back(conn, [row.id for row, _, _ in over], self.worker_id)
                return taken
        except Exception as exc:  # noqa: BLE001 - the database may be away for a moment
            self._drop_connection()
            log.warning("outbox_lease_failed", error=describe(exc)[:300])
            self._stop.wait(1.0)
            return []

    # -- fair share between connections (loop thread only) ---------------------------
    def _read_accounts(self, reader) -> None:
        now = time.monotonic()
        if now - self._accounts_read_at >= self._creds_ttl:
            self._connection_of = {a.name: a.connection for a in reader.agencies.accounts()}
            self._accounts_read_at = now

    def _share_applies(self) -> bool:
        # A worker of one agency connection gives it every thread.
        return len(set(self._connection_of.values())) > 1

    def _connection_of_claim(self, claim) -> str | None:
        return self._connection_of.get(claim.agency_account) if claim is not None else None

    def _accounts_at_limit(self) -> list[str]:
        """Accounts whose connection holds its share of the pool: left out of the lease."""
        if not self._share_applies():
            return []
        full = {name for name, n in self._held.items() if n >= self.agency_limit}
        return [account for account, name in self._connection_of.items() if name in full]

    def _within_share(self, found: list[tuple]) -> tuple[list[tuple], list[tuple]]:
        """Split a lease into the rows to call now and those above their connection's share
        (an account added since the accounts were read)."""
        if not self._share_applies():
            return found, []
        held = dict(self._held)
        taken, over = [], []
        for item in found:
            key = self._connection_of_claim(item[1])
            if key is not None:
                if held.get(key, 0) >= self.agency_limit:
                    over.append(item)
                    continue
                held[key] = held.get(key, 0) + 1
            taken.append(item)
        return taken, over

    def _record_ready(self, block_s: float) -> None:
        ready: list[Outcome] = []
        try:
            ready.append(self._done.get(timeout=block_s) if block_s > 0
                         else self._done.get_nowait())
        except queue.Empty:
            return
        # While answers keep coming (a fast agency), gather them for a moment: one bigger
        # batch costs the same few statements. A slow agency's answers arrive apart and
        # end the gathering after GATHER_GAP_S.
        deadline = time.monotonic() + GATHER_MAX_S
        while len(ready) < self._in_flight:
            wait = min(GATHER_GAP_S, deadline - time.monotonic())
            try:
                ready.append(self._done.get(timeout=wait) if wait > 0
                             else self._done.get_nowait())
            except queue.Empty:
                break
        try:
            record_batch(self._unit_of_work, ready, self.worker_id, self.policy, self.clock)
        finally:
            if self._conn is not None and self._conn.invalidated:
                self._drop_connection()
        self._in_flight -= len(ready)
        self.delivered += len(ready)
        for outcome in ready:
            key = self._connection_of_row.pop(outcome.row.id, None)
            if key is not None:
                self._held[key] -= 1

    # -- one delivery, in a pool thread ----------------------------------------------
    def _deliver(self, row: OutboxRow, claim, route) -> None:
        correlation_id = f"outbox-{row.id}-{row.attempts}"
        started = time.monotonic()
        try:
            with structlog.contextvars.bound_contextvars(correlation_id=correlation_id,
                                                         outbox_id=row.id):
                outcome = self._deliver_row(row, claim, route)
        except Exception as exc:  # noqa: BLE001 - a bug must not lose the row's slot
            log.exception("outbox_delivery_crashed", outbox_id=row.id,
                          correlation_id=correlation_id)
            outcome = Outcome(row, TRANSIENT, f"internal error: {describe(exc)}")
        outcome.correlation_id = correlation_id
        outcome.duration_s = time.monotonic() - started
        agency = getattr(route[0], "name", "-") if isinstance(route, tuple) else "-"
        DELIVERIES.inc(agency=agency, kind=row.kind, outcome=outcome.kind)
        DELIVERY_SECONDS.observe(outcome.duration_s, agency=agency)
        self._done.put(outcome)

    def _deliver_row(self, row: OutboxRow, claim, route) -> Outcome:
        if claim is None:
            return deliver(None, row, None, None)
        if isinstance(route, AgencyError):
            return Outcome(row, AUTH_FAILED, describe(route))
        if isinstance(route, Exception):
            raise route
        agency, creds = route
        breaker = self._breaker(agency)
        if not breaker.allow():
            return Outcome(row, TRANSIENT, f"CircuitOpen: {breaker.threshold} calls to agency "
                                           f"{agency.name} failed in a row; no calls to it for "
                                           f"{breaker.open_s:g} s")
        # Claim and route were read with the lease, whose transaction is committed:
        # nothing is held open during the agency call.
        outcome = deliver(agency, row, claim, creds, initial_status=self.initial_status)
        if outcome.kind != UNDELIVERABLE:  # no call was made for those
            breaker.record(failed=outcome.kind == TRANSIENT)
        outcome.claim = claim
        return outcome

    # -- the loop's kept connection -------------------------------------------------
    def _connection(self):
        if self._conn is None or self._conn.closed:
            self._conn = self.gw.engine.connect()
        return self._conn

    def _unit_of_work(self) -> KeptConnectionUnitOfWork:
        return KeptConnectionUnitOfWork(self._connection())

    def _drop_connection(self) -> None:
        # After an error the connection may be broken: the next use takes a fresh one.
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass

    def _breaker(self, agency) -> CircuitBreaker:
        with self._breakers_lock:
            found = self._breakers.get(id(agency))
            if found is None:
                found = self._breakers[id(agency)] = CircuitBreaker(*self._breaker_args)
            return found

    def _route_or_error(self, uow, claim):
        """The claim's route, or the error that stands for it; a lookup that breaks fails
        its rows' deliveries (retried), never the whole lease."""
        if claim is None:
            return None
        account = claim.agency_account
        # Cached briefly: one lookup per account, not per row; a fixed key is used within
        # seconds.
        now = time.monotonic()
        with self._routes_lock:
            hit = self._routes.get(account)
        if hit is not None and hit[0] > now:
            return hit[1]
        try:
            value: Route | Exception = self.agencies.route(uow, account)
        except AgencyError as exc:
            value = exc
        except Exception as exc:  # noqa: BLE001 - not cached: the database may be back soon
            return exc
        with self._routes_lock:
            self._routes[account] = (now + self._creds_ttl, value)
        return value

    # -- SQLite single-worker lock ------------------------------------------------------
    def _take_lock(self, held: bool) -> bool:
        try:
            with self.gw.engine.begin() as conn:
                ok, holder = store.take_worker_lock(conn, self.worker_id, self.clock(),
                                                    self.lease_s)
        except Exception as exc:  # noqa: BLE001
            log.warning("outbox_lock_failed", error=describe(exc)[:300])
            return False
        if not ok and (held or not getattr(self, "_told_waiting", False)):
            self._told_waiting = True
            log.warning("outbox_worker_waiting", holder=holder,
                        reason="SQLite runs one outbox worker at a time; waiting for the "
                               "other to stop or its lock to expire")
        if ok and not held:
            log.info("outbox_worker_lock_taken", worker_id=self.worker_id)
        return ok

    def _release_lock(self) -> None:
        try:
            with self.gw.engine.begin() as conn:
                store.release_worker_lock(conn, self.worker_id)
        except Exception:  # noqa: BLE001 - it expires anyway
            pass


class _Reader:
    """The read side of a unit of work on a kept connection (claims, shops, agencies)."""

    def __init__(self, conn):
        self.claims = SqlClaimRepository(conn, [])
        self.shops = SqlShopRepository(conn)
        self.agencies = SqlAgencyRepository(conn)


class InProcessWorker:
    """A Dispatcher on a background thread (what `gateway serve` runs); stop() is graceful."""

    def __init__(self, dispatcher: Dispatcher):
        self.dispatcher = dispatcher
        self._thread = threading.Thread(target=dispatcher.run, name="outbox-worker",
                                        daemon=True)

    def start(self) -> "InProcessWorker":
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 30.0) -> None:
        self.dispatcher.stop()
        self._thread.join(timeout_s)

    def __enter__(self) -> "InProcessWorker":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_in_process(gw, agencies: AgencyRoutes, concurrency: int | None = None,
                     **options) -> InProcessWorker:
    """Run a worker in this process on a thread; returns a handle with .stop(). The adapters
    belong to `agencies` (its owner closes them)."""
    dispatcher = Dispatcher(gw, agencies, concurrency=concurrency, **options)
    if gw.settings.metrics_enabled:
        register_outbox_metrics(gw.engine, clock=gw.clock)
    return InProcessWorker(dispatcher).start()
