"""`gateway sync`: drain each agency account's changes feed, exactly once per change.

One feed per account, however many shops share it: every change goes to the claim with
its file number within the account. A change whose file number no claim of the account
has is stored (unmatched_agency_changes) in the same transaction, never dropped.

Per batch: fetch it, fetch the accounting figures it calls for, store every change
in ONE database transaction, THEN commit the agency transaction. A crash between
the two makes the agency deliver the batch again; each change was recorded under
its key (uow.change_seen) in the same transaction, so the second delivery is a no-op.

Accounting: fetched (before the transaction, so no network call holds a database
lock) for claims whose reported state means money moved (PARTIALLY_PAID, PAID) or
that leave the open set (closed states): a closed claim is never asked about again
by the full reconciliation, so its last figures must be taken now. Payouts without
a status change are the full reconciliation's job.
"""
from __future__ import annotations

from datetime import datetime

from gateway.domain.lifecycle import CLOSED, ClaimState
from gateway.domain.model import AccountingSummary, Claim
from gateway.logs import get_logger
from gateway.service.agency_port import (AgencyError, AgencyStatus, AgencyTransient,
                                         StatusChangeBatch)
from gateway.service.claims import Clock, apply_agency_status, utc_now
from gateway.service.unit_of_work import UnitOfWorkFactory

from .calls import AgencyCalls
from .report import SyncReport
from .accounts import AccountAccess

log = get_logger(__name__)

MONEY_STATES = frozenset({ClaimState.PARTIALLY_PAID, ClaimState.PAID}) | CLOSED


def change_key(status: AgencyStatus) -> str:
    """The identity of one feed entry: the same change redelivered has the same key."""
    at = status.at.isoformat() if status.at else ""
    return f"{status.file_number}:{status.code}:{at}"


def sync_changes(uow_factory: UnitOfWorkFactory, calls: AgencyCalls,
                 accounts: list[AccountAccess], report: SyncReport,
                 clock: Clock = utc_now) -> None:
    """Drain the feed of every account whose agency has one. An agency that stops answering
    is reported (report.unreachable) and its account left for the next run; the other
    accounts go on."""
    for access in accounts:
        if not access.agency.has_changes_feed:
            continue  # polled by run_sync instead
        try:
            _drain(uow_factory, calls, access, report, clock)
        except (AgencyTransient, _StuckFeed) as exc:
            # Whatever was stored is consistent; the uncommitted batch comes back next run.
            report.account_unreachable(access.label, f"while reading its changes: {exc}")
            log.error("sync_account_unreachable", account=access.account, error=str(exc))
        except AgencyError as exc:
            report.config_error(access.label, f"changes feed refused: {exc}")
            log.error("sync_feed_failed", account=access.account, error=str(exc))


class _StuckFeed(Exception):
    """The agency keeps delivering a batch it was told is committed."""


def _drain(uow_factory: UnitOfWorkFactory, calls: AgencyCalls, access: AccountAccess,
           report: SyncReport, clock: Clock) -> None:
    agency = access.agency
    last_transaction = None
    while True:
        batch: StatusChangeBatch = calls(agency.get_status_changes, access.creds)
        if not batch.changes:
            if batch.transaction_id:  # an empty but open transaction: close it
                calls(agency.commit_changes, access.creds, batch.transaction_id)
            return
        if batch.transaction_id and batch.transaction_id == last_transaction:
            # Committed a moment ago and still delivered: the feed is stuck; stop, don't spin.
            raise _StuckFeed(f"the agency redelivers committed transaction "
                             f"{batch.transaction_id}")
        figures = _accounting_for(calls, access, batch)
        _store(uow_factory, access, batch, figures, report, clock())
        if batch.transaction_id:
            calls(agency.commit_changes, access.creds, batch.transaction_id)
        report.batch_committed()
        log.info("sync_batch_committed", account=access.account,
                 transaction_id=batch.transaction_id, changes=len(batch.changes))
        last_transaction = batch.transaction_id


def _accounting_for(calls: AgencyCalls, access: AccountAccess, batch: StatusChangeBatch
                    ) -> dict[str, AccountingSummary | AgencyError]:
    agency = access.agency
    wanted = {c.file_number for c in batch.changes if c.state in MONEY_STATES}
    figures: dict[str, AccountingSummary | AgencyError] = {}
    for file_number in sorted(wanted):
        try:
            figures[file_number] = calls(agency.get_accounting, access.creds, file_number)
        except AgencyTransient:
            raise  # the agency is going away: store nothing of this batch
        except AgencyError as exc:
            figures[file_number] = exc  # this claim only: status still applied, named as failed
    return figures


def _store(uow_factory: UnitOfWorkFactory, access: AccountAccess, batch: StatusChangeBatch,
           figures: dict[str, AccountingSummary | AgencyError], report: SyncReport,
           now: datetime) -> None:
    outcomes: list[tuple[Claim, ClaimState | None, str | None]] = []
    unknown = 0
    already = 0
    with uow_factory() as uow:
        # One object per claim for the whole batch: the unit of work writes each once.
        loaded: dict[str, Claim | None] = {}
        touched: dict[str, tuple[Claim, ClaimState]] = {}
        for status in batch.changes:
            number = status.file_number
            if number not in loaded:
                loaded[number] = uow.claims.get_by_file_number(access.account, number,
                                                               for_update=True)
            claim = loaded[number]
            if claim is None:
                # Kept before the batch is committed at the agency: shown by `gateway
                # accounts unmatched`, counted in the report and the metrics.
                if uow.keep_unmatched_change(access.account, change_key(status), status, now):
                    unknown += 1
                    log.warning("sync_unknown_file_number", account=access.account,
                                file_number=number, status_code=status.code)
                continue
            if not uow.change_seen(access.account, change_key(status), now):
                already += 1
                continue
            touched.setdefault(number, (claim, claim.state))
            apply_agency_status(claim, status, now)
        for number, (claim, before) in touched.items():
            problem = None
            summary = figures.get(number)
            if isinstance(summary, AgencyError):
                problem = f"status applied, accounting not refreshed: {summary}"
            elif summary is not None:
                claim.update_accounting(summary)
            outcomes.append((claim, claim.state if claim.state is not before else None, problem))
        uow.commit()
    # Counted only once the transaction holds.
    for _ in range(unknown):
        report.unknown_file_number()
    for _ in range(already):
        report.change_already_applied()
    for claim, new_state, problem in outcomes:
        if problem:
            report.claim_failed(claim.shop_id, claim.shop_claim_id, problem)
            log.warning("sync_claim_failed", shop_id=claim.shop_id,
                        shop_claim_id=claim.shop_claim_id, reason=problem)
        else:
            report.claim_checked(new_state.value if new_state else None)
