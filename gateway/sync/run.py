"""One sync run from start to report: what the CLI, the tests and the benchmark call."""
from __future__ import annotations

from typing import Any, Callable, Protocol

from sqlalchemy.exc import DBAPIError

from gateway.logs import get_logger
from gateway.service.agency_port import AgencyRoutes
from gateway.store.database import error_reason, safe_url

from .calls import AgencyCalls, RateLimiter
from .changes import sync_changes
from .accounts import accounts_to_sync
from .full import POLL_CHECKPOINT, sync_full
from .report import SyncAborted, SyncReport

log = get_logger(__name__)


class Progress(Protocol):
    def set_total(self, total: int) -> None: ...
    def advance(self, n: int) -> None: ...


def _prune(gw: Any) -> None:
    from datetime import timedelta

    from .store import prune_applied_changes

    before = gw.clock() - timedelta(days=gw.settings.keep_delivered_days)
    try:
        pruned = prune_applied_changes(gw.engine, before)
    except DBAPIError as exc:  # the run's work is done; pruning waits for the next
        log.warning("sync_prune_failed", error=error_reason(exc))
        return
    if pruned:
        log.info("sync_pruned_applied_change_keys", deleted=pruned)


def run_sync(gw: Any, agencies: AgencyRoutes, *,
             correlation_id: str, full: bool = False, concurrency: int = 8,
             max_rps: float = 0.0, accounting: str = "auto", restart: bool = False,
             only: tuple[str, ...] = (), progress: Progress | None = None,
             backoff_s: tuple[float, ...] = (0.2, 1.0)) -> SyncReport:
    """Run the changes sync (or --full) for every agency account of the shops (all, or
    `only`); never raises for agency/database trouble.

    gw is a gateway.app.Gateway (engine, uow, read_uow, clock); agencies routes accounts
    to adapters (gateway.app.AgencyRegistry). The report's exit_code says how it went;
    report.aborted holds the one line for exit 2.
    """
    report = SyncReport("full" if full else "changes", correlation_id, started_at=gw.clock())
    calls = AgencyCalls(RateLimiter(max_rps), backoff_s=backoff_s)
    on_total: Callable[[int], None] | None = None
    if progress is not None:
        report.progress = progress.advance
        on_total = progress.set_total
    log.info("sync_started", mode=report.mode, concurrency=concurrency, max_rps=max_rps)
    try:
        accounts = accounts_to_sync(gw.engine, gw.read_uow, agencies, calls, report, only)
        if full:
            sync_full(gw.engine, gw.uow, calls, accounts, report, concurrency=concurrency,
                      accounting=accounting, restart=restart, on_total=on_total, now=gw.clock)
        else:
            sync_changes(gw.uow, calls, accounts, report, clock=gw.clock)
            # An agency without a changes feed: its news comes from polling each open claim.
            polled = [a for a in accounts if not a.agency.has_changes_feed]
            sync_full(gw.engine, gw.uow, calls, polled, report, concurrency=concurrency,
                      accounting="auto", restart=restart, checkpoint_name=POLL_CHECKPOINT,
                      now=gw.clock)
        if accounts and all(a.label in report.unreachable for a in accounts):
            # Nothing could be synced: one line for the operator, as when it failed at once.
            report.aborted = "agency unreachable: " + "; ".join(
                f"{label} {reason}" for label, reason in sorted(report.unreachable.items()))
    except SyncAborted as exc:
        report.aborted = str(exc)
    except DBAPIError as exc:
        report.aborted = f"database error at {safe_url(gw.engine)}: {error_reason(exc)}"
    if not report.aborted:
        _prune(gw)
    report.finish(calls.count)
    summary = report.as_dict()
    log.info("sync_finished", **{k: summary[k] for k in (
        "claims_checked", "changed", "failed", "duration_s", "exit_code", "agency_calls")})
    return report
