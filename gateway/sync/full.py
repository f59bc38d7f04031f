"""`gateway sync --full`: reconcile every open claim with its agency, resumably.

Also how the changes sync learns news from an agency without a changes feed: it polls the
open claims of those accounts the same way (with a checkpoint of its own).

Claims stream in id order (keyset pages), go through a bounded queue to
`concurrency` threads, and each thread asks the agency for the claim's status and,
where money can have moved, its accounting summary. Only a claim whose figures
differ is loaded under lock and written, in its own short transaction.

Checkpoint: the highest claim id below which every claim has been answered (threads
finish out of order, so it trails the newest id by at most the claims in flight).
It is saved about once a second; a rerun after a crash continues after it, and a
run that finishes clears it.

Unreachable agency: after `breaker` transient failures in a row for one account, that
account is left out of the rest of the run (reported, the next run asks again) and the
other accounts go on; when every account is left out, the run aborts and the
checkpoint stays below the first claim of the failing streaks.

Accounting ("auto"): asked when the status code changed, or money is in motion on
the claim (instalments, part payments, a payout pending, or paid but not settled).
A claim whose code is unchanged and on which nothing was ever paid cannot have new
figures, and skipping that call halves the agency traffic of a typical night;
"always" asks for every claim.
"""
from __future__ import annotations

import queue
import threading
import time
from collections import deque
from datetime import datetime
from typing import Callable

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from gateway.domain.lifecycle import ClaimState, is_open
from gateway.domain.model import AccountingSummary
from gateway.domain.money import ZERO
from gateway.logs import get_logger
from gateway.service.agency_port import AgencyAuthFailed, AgencyError, AgencyTransient
from gateway.service.claims import apply_agency_status, utc_now
from gateway.service.unit_of_work import ConcurrentUpdate, UnitOfWorkFactory
from gateway.store.database import error_reason

from .calls import AgencyCalls
from .report import SyncAborted, SyncReport
from .accounts import AccountAccess
from .store import (ClaimRef, clear_checkpoint, count_open_claims, iter_open_claims,
                    load_checkpoint, save_checkpoint)

log = get_logger(__name__)

FULL_CHECKPOINT = "sync.full"
POLL_CHECKPOINT = "sync.poll"  # the changes sync's polling of agencies without a feed
ACCOUNTING_MODES = ("auto", "always")
_MONEY_IN_MOTION = frozenset({ClaimState.INSTALMENT_PLAN, ClaimState.PARTIALLY_PAID})


class Watermark:
    """Highest id below which every dispatched id is finished (ids dispatched in order)."""

    def __init__(self, start: int):
        self.mark = start
        self._pending: deque[int] = deque()
        self._finished: set[int] = set()
        self._lock = threading.Lock()

    def started(self, claim_id: int) -> None:
        with self._lock:
            self._pending.append(claim_id)

    def finished(self, claim_id: int) -> None:
        with self._lock:
            self._finished.add(claim_id)
            while self._pending and self._pending[0] in self._finished:
                head = self._pending.popleft()
                self._finished.discard(head)
                self.mark = head


def sync_full(engine: Engine, uow_factory: UnitOfWorkFactory, calls: AgencyCalls,
              accounts: list[AccountAccess], report: SyncReport, *,
              concurrency: int = 8, accounting: str = "auto", restart: bool = False,
              on_total: Callable[[int], None] | None = None,
              checkpoint_every_s: float = 1.0, checkpoint_name: str = FULL_CHECKPOINT,
              now: Callable[[], datetime] = utc_now) -> None:
    """Reconcile the open claims of `accounts`; raises SyncAborted (checkpoint kept) when an
    agency or the database goes away."""
    if accounting not in ACCOUNTING_MODES:
        raise ValueError(f"accounting must be one of {ACCOUNTING_MODES}")
    names = [a.account for a in accounts]
    if not names:
        return
    saved = None if restart else load_checkpoint(engine, checkpoint_name)
    start_after = int(saved["after_id"]) if saved else 0
    if start_after:
        report.resumed_after_id = start_after
        log.info("sync_full_resumed", after_id=start_after)
    if on_total is not None:
        on_total(count_open_claims(engine, names, start_after))
    run = _FullRun(uow_factory, calls, accounts, report, concurrency, accounting, now)
    mark = run.mark = Watermark(start_after)
    saved_mark = start_after
    last_save = time.monotonic()

    def checkpoint() -> None:
        nonlocal saved_mark, last_save
        last_save = time.monotonic()
        value = run.safe_mark()
        if value != saved_mark:
            save_checkpoint(engine, checkpoint_name,
                            {"after_id": value, "correlation_id": report.correlation_id}, now())
            saved_mark = value

    run.start()
    try:
        for ref in iter_open_claims(engine, names, start_after):
            if run.stop.is_set():
                break
            mark.started(ref.id)
            while not run.stop.is_set():
                try:
                    run.queue.put(ref, timeout=0.25)
                    break
                except queue.Full:
                    pass
                if time.monotonic() - last_save >= checkpoint_every_s:
                    checkpoint()
            if time.monotonic() - last_save >= checkpoint_every_s:
                checkpoint()
    except BaseException:
        run.stop.set()
        raise
    finally:
        run.join()
        if run.stop.is_set():  # cut short: keep the place for the rerun
            try:
                checkpoint()
            except DBAPIError:
                log.error("sync_checkpoint_not_saved", after_id=run.safe_mark())
    if run.fatal is not None:
        raise SyncAborted(run.fatal)
    clear_checkpoint(engine, checkpoint_name)


class _FullRun:
    def __init__(self, uow_factory, calls, accounts, report, concurrency, accounting, now):
        self.uow_factory = uow_factory
        self.calls = calls
        self.accounts = [a.account for a in accounts]
        self.routes = {a.account: a for a in accounts}
        self.report = report
        self.concurrency = max(1, concurrency)
        self.accounting = accounting
        self.now = now
        self.queue: queue.Queue[ClaimRef | None] = queue.Queue(maxsize=self.concurrency * 4)
        self.stop = calls.stop
        self.fatal: str | None = None
        self.mark: Watermark
        # Transient failures in a row: past this many the agency counts as unreachable.
        self.breaker = max(20, 2 * self.concurrency)
        self._streaks: dict[str, list[int]] = {}  # account -> claim ids failing in a row
        self._left_out_from: dict[str, int] = {}  # account -> first claim of its last streak
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    # -- threads --------------------------------------------------------------------
    def start(self) -> None:
        for i in range(self.concurrency):
            thread = threading.Thread(target=self._work, name=f"sync-full-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def join(self) -> None:
        for _ in self._threads:
            self.queue.put(None)
        for thread in self._threads:
            thread.join()

    def safe_mark(self) -> int:
        """The checkpoint: below the first claim of a failing streak when aborting for it."""
        with self._lock:
            firsts = list(self._left_out_from.values()) + [
                min(ids) for ids in self._streaks.values() if ids]
            streak_floor = min(firsts) - 1 if self.fatal and firsts else None
        mark = self.mark.mark
        return min(mark, streak_floor) if streak_floor is not None else mark

    def _abort(self, reason: str) -> None:
        with self._lock:
            if self.fatal is None:
                self.fatal = reason
        self.stop.set()

    def _work(self) -> None:
        while True:
            ref = self.queue.get()
            if ref is None:
                return
            if self.stop.is_set():
                continue  # not finished: the checkpoint stays below it
            try:
                self._one(ref)
            finally:
                self.mark.finished(ref.id)

    def _one(self, ref: ClaimRef) -> None:
        access = self.routes.get(ref.account)
        if access is None:
            return  # the account has a configuration error (reported once)
        try:
            new_state = self._reconcile(ref, access)
        except AgencyAuthFailed as exc:
            # Credentials withdrawn mid-run: stop asking for this account, report it once.
            self.routes.pop(ref.account, None)
            self.report.config_error(access.label,
                                     f"the agency refused the credentials ({exc})")
            return
        except AgencyTransient as exc:
            self._failed(ref, str(exc))
            self._transient(ref, access, exc)
            return
        except AgencyError as exc:
            self._failed(ref, str(exc))
        except ConcurrentUpdate:
            self._failed(ref, "changed by another writer during the sync; the next run checks "
                              "it again")
        except DBAPIError as exc:
            self._abort(f"database error: {type(exc).__name__}: {error_reason(exc)}")
            return
        except Exception as exc:  # noqa: BLE001 - one claim's surprise never stops the run
            log.exception("sync_claim_error", shop_id=ref.shop_id,
                          shop_claim_id=ref.shop_claim_id)
            self._failed(ref, f"unexpected {type(exc).__name__}")
        else:
            self.report.claim_checked(new_state)
        with self._lock:
            self._streaks.pop(ref.account, None)

    def _transient(self, ref: ClaimRef, access: AccountAccess, exc: AgencyTransient) -> None:
        with self._lock:
            streak = self._streaks.setdefault(ref.account, [])
            streak.append(ref.id)
            if len(streak) < self.breaker or ref.account in self._left_out_from:
                return
            self._left_out_from[ref.account] = min(streak)
            failed = len(streak)
            last = len(self._left_out_from) == len(self.accounts)
        reason = f"{failed} claims in a row failed ({exc})"
        log.error("sync_account_unreachable", account=ref.account, failed_in_a_row=failed)
        self.routes.pop(ref.account, None)  # its remaining claims are not asked about
        if last:
            self._abort(f"agency unreachable: {reason}")
        else:
            self.report.account_unreachable(access.label, reason)

    def _failed(self, ref: ClaimRef, reason: str) -> None:
        log.warning("sync_claim_failed", shop_id=ref.shop_id, shop_claim_id=ref.shop_claim_id,
                    reason=reason)
        self.report.claim_failed(ref.shop_id, ref.shop_claim_id, reason)

    # -- one claim ------------------------------------------------------------------
    def _reconcile(self, ref: ClaimRef, access: AccountAccess) -> str | None:
        """Returns the new state when the claim's state changed, else None."""
        agency, creds = access.agency, access.creds
        status = self.calls(agency.get_status, creds, ref.file_number)
        code_changed = status.code != ref.status_code
        summary = None
        if self.accounting == "always" or code_changed or _money_in_motion(ref):
            summary = self.calls(agency.get_accounting, creds, ref.file_number)
        if not code_changed and (summary is None or _same_figures(ref, summary)):
            return None
        with self.uow_factory() as uow:
            claim = uow.claims.get_by_id(ref.id, for_update=True)
            if (claim is None or claim.agency_file_number != ref.file_number
                    or not is_open(claim.state)):
                return None  # moved on since the page was read (cancelled, closed by the feed)
            before = claim.state
            dirty = False
            if status.code != claim.agency_status_code:
                apply_agency_status(claim, status, self.now())
                dirty = True
            if summary is not None and claim.update_accounting(summary):
                dirty = True
            if not dirty:
                return None
            uow.commit()
            return claim.state.value if claim.state is not before else None


def _money_in_motion(ref: ClaimRef) -> bool:
    return (ref.state in _MONEY_IN_MOTION or ref.current_payout > ZERO
            or (ref.paid > ZERO and ref.outstanding > ZERO))


def _same_figures(ref: ClaimRef, summary: AccountingSummary) -> bool:
    # Payout lists only grow with sum_payout, so the five totals decide.
    return (summary.total_debts, summary.paid, summary.outstanding, summary.current_payout,
            summary.sum_payout) == (ref.total_debts, ref.paid, ref.outstanding,
                                    ref.current_payout, ref.sum_payout)
