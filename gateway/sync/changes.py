"""`gateway sync`: drain each shop's changes feed, exactly once per change.

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

from gateway.domain.lifecycle import CLOSED, ClaimState
from gateway.domain.model import AccountingSummary, Claim
from gateway.logs import get_logger
from gateway.service.agency_port import (AgencyError, AgencyPort, AgencyStatus, AgencyTransient,
                                         StatusChangeBatch)
from gateway.service.claims import Clock, apply_agency_status, utc_now
from gateway.service.unit_of_work import UnitOfWorkFactory

from .calls import AgencyCalls
from .report import SyncAborted, SyncReport
from .shops import ShopAccess

log = get_logger(__name__)

MONEY_STATES = frozenset({ClaimState.PARTIALLY_PAID, ClaimState.PAID}) | CLOSED


def change_key(status: AgencyStatus) -> str:
    """The identity of one feed entry: the same change redelivered has the same key."""
    at = status.at.isoformat() if status.at else ""
    return f"{status.file_number}:{status.code}:{at}"


def sync_changes(uow_factory: UnitOfWorkFactory, agency: AgencyPort, calls: AgencyCalls,
                 shops: list[ShopAccess], report: SyncReport, clock: Clock = utc_now) -> None:
    """Drain every shop's feed. Raises SyncAborted when the agency stops answering."""
    for access in shops:
        try:
            _drain(uow_factory, agency, calls, access, report, clock)
        except AgencyTransient as exc:
            # Whatever was stored is consistent; the uncommitted batch comes back next run.
            raise SyncAborted(f"agency unreachable while syncing shop {access.shop_id}: "
                              f"{exc}") from None
        except AgencyError as exc:
            report.config_error(access.shop_id, f"changes feed refused: {exc}")
            log.error("sync_feed_failed", shop_id=access.shop_id, error=str(exc))


def _drain(uow_factory: UnitOfWorkFactory, agency: AgencyPort, calls: AgencyCalls,
           access: ShopAccess, report: SyncReport, clock: Clock) -> None:
    last_transaction = None
    while True:
        batch: StatusChangeBatch = calls(agency.get_status_changes, access.creds)
        if not batch.changes:
            if batch.transaction_id:  # an empty but open transaction: close it
                calls(agency.commit_changes, access.creds, batch.transaction_id)
            return
        if batch.transaction_id and batch.transaction_id == last_transaction:
            # Committed a moment ago and still delivered: the feed is stuck; stop, don't spin.
            raise SyncAborted(f"the agency redelivers committed transaction "
                              f"{batch.transaction_id} for shop {access.shop_id}")
        figures = _accounting_for(agency, calls, access, batch, report)
        _store(uow_factory, agency, access, batch, figures, report, clock())
        if batch.transaction_id:
            calls(agency.commit_changes, access.creds, batch.transaction_id)
        report.batch_committed()
        log.info("sync_batch_committed", shop_id=access.shop_id,
                 transaction_id=batch.transaction_id, changes=len(batch.changes))
        last_transaction = batch.transaction_id


def _accounting_for(agency: AgencyPort, calls: AgencyCalls, access: ShopAccess,
                    batch: StatusChangeBatch, report: SyncReport
                    ) -> dict[str, AccountingSummary | AgencyError]:
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


def _store(uow_factory: UnitOfWorkFactory, agency: AgencyPort, access: ShopAccess,
           batch: StatusChangeBatch, figures: dict[str, AccountingSummary | AgencyError],
           report: SyncReport, now: datetime) -> None:
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
                claim = uow.claims.get_by_file_number(agency.name, number, for_update=True)
                # Another shop's file is as unknown to this feed as no file at all.
                loaded[number] = claim if claim and claim.shop_id == access.shop_id else None
            claim = loaded[number]
            if claim is None:
                unknown += 1
                log.warning("sync_unknown_file_number", shop_id=access.shop_id,
                            file_number=number, status_code=status.code)
                continue
            if not uow.change_seen(agency.name, change_key(status), now):
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
