"""One sync run from start to report: what the CLI, the tests and the benchmark call."""
from __future__ import annotations

from typing import Any, Callable, Protocol

from sqlalchemy.exc import DBAPIError

from gateway.logs import get_logger
from gateway.service.agency_port import AgencyPort
from gateway.store.database import error_reason, safe_url

from .calls import AgencyCalls, RateLimiter
from .changes import sync_changes
from .full import sync_full
from .report import SyncAborted, SyncReport
from .shops import CredentialsLookup, shops_to_sync

log = get_logger(__name__)


class Progress(Protocol):
    def set_total(self, total: int) -> None: ...
    def advance(self, n: int) -> None: ...


def run_sync(gw: Any, agency: AgencyPort, credentials: CredentialsLookup, *,
             correlation_id: str, full: bool = False, concurrency: int = 8,
             max_rps: float = 0.0, accounting: str = "auto", restart: bool = False,
             only: tuple[str, ...] = (), progress: Progress | None = None,
             backoff_s: tuple[float, ...] = (0.2, 1.0)) -> SyncReport:
    """Run the changes sync (or --full) for every shop; never raises for agency/database trouble.

    gw is a gateway.app.Gateway (engine, uow, read_uow). The report's exit_code says
    how it went; report.aborted holds the one line for exit 2.
    """
    report = SyncReport("full" if full else "changes", correlation_id, started_at=gw.clock())
    calls = AgencyCalls(RateLimiter(max_rps), backoff_s=backoff_s)
    on_total: Callable[[int], None] | None = None
    if progress is not None:
        report.progress = progress.advance
        on_total = progress.set_total
    log.info("sync_started", mode=report.mode, concurrency=concurrency, max_rps=max_rps)
    try:
        shops = shops_to_sync(gw.read_uow, agency, calls, credentials, report, only)
        if full:
            sync_full(gw.engine, gw.uow, agency, calls, shops, report, concurrency=concurrency,
                      accounting=accounting, restart=restart, on_total=on_total, now=gw.clock)
        else:
            sync_changes(gw.uow, agency, calls, shops, report, clock=gw.clock)
    except SyncAborted as exc:
        report.aborted = str(exc)
    except DBAPIError as exc:
        report.aborted = f"database error at {safe_url(gw.engine)}: {error_reason(exc)}"
    report.finish(calls.count)
    summary = report.as_dict()
    log.info("sync_finished", **{k: summary[k] for k in (
        "claims_checked", "changed", "failed", "duration_s", "exit_code", "agency_calls")})
    return report
