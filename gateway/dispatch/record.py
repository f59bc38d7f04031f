"""Recording outcomes: the outbox row and the claim change in one transaction.

Outcomes are recorded in batches (one transaction for many rows keeps the
database work per row small); when a batch cannot commit, each outcome is
recorded on its own so one bad row cannot hold back the others.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Sequence

import structlog
import tenacity

from gateway.domain.errors import DomainError
from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import MessageKind
from gateway.service.claims import apply_agency_status
from gateway.store import outbox_store as store
from gateway.service.unit_of_work import ConcurrentUpdate
from gateway.store.unit_of_work import SqlUnitOfWork

from .delivery import AUTH_FAILED, DELIVERED, REJECTED, TRANSIENT, UNDELIVERABLE, Outcome

log = structlog.get_logger("gateway.dispatch")


@dataclass(frozen=True)
class RetryPolicy:
    """When a transient failure is retried, and when the row is dead instead."""

    max_attempts: int = 25
    max_age_s: float = 3 * 86400.0
    backoff_base_s: float = 1.0
    backoff_max_s: float = 3600.0
    jitter_s: float = 1.0

    def next_delay(self, attempts: int) -> float:
        # tenacity computes the wait (exponential with jitter); we store it, never sleep it.
        wait = tenacity.wait_exponential_jitter(multiplier=self.backoff_base_s,
                                                max=self.backoff_max_s, jitter=self.jitter_s)
        return wait(_AttemptState(max(1, attempts)))

    def exhausted(self, attempts: int, created_at: datetime, now: datetime) -> str | None:
        if attempts >= self.max_attempts:
            return f"{attempts} attempts"
        if (now - created_at).total_seconds() >= self.max_age_s:
            return f"older than {self.max_age_s:.0f} s"
        return None


@dataclass(frozen=True)
class _AttemptState:
    """The one field of tenacity's RetryCallState that its wait strategies read."""

    attempt_number: int


def record_batch(uow_factory: Callable[[], SqlUnitOfWork], outcomes: Sequence[Outcome],
                 worker_id: str, policy: RetryPolicy, now: Callable[[], datetime]) -> None:
    if not outcomes:
        return
    # Claims in id order: two workers' batches lock them in the same order.
    ordered = sorted(outcomes, key=lambda o: (o.row.claim_id, o.row.id))
    try:
        with uow_factory() as uow:
            at = now()
            # Delivered rows complete in one statement; only those still ours change claims.
            delivered = [o for o in ordered if o.kind == DELIVERED]
            ours = store.complete_many(uow.conn, [o.row.id for o in delivered], worker_id, at)
            for outcome in ordered:
                if outcome.kind != DELIVERED:
                    _record(uow, outcome, worker_id, policy, at)
                elif outcome.row.id in ours:
                    _apply_delivered(uow, outcome, at, fresh=False)
                else:
                    outcome.extra["lease_lost"] = True
            uow.commit()
        _log_all(ordered)
        return
    except Exception as exc:  # noqa: BLE001 - fall back to one transaction per row
        if len(ordered) == 1 and not isinstance(exc, ConcurrentUpdate):
            _unrecorded(ordered[0], exc)
            return
        log.info("outbox_batch_retried_per_row", rows=len(ordered), error=type(exc).__name__)
    for outcome in ordered:
        outcome.extra.pop("lease_lost", None)
        try:
            with uow_factory() as uow:
                _record(uow, outcome, worker_id, policy, now())
                uow.commit()
            _log_all([outcome])
        except Exception as exc:  # noqa: BLE001
            _unrecorded(outcome, exc)


def _unrecorded(outcome: Outcome, exc: BaseException) -> None:
    # The row keeps its lease and is delivered again once the lease runs out: at least
    # once, and a repeated submit is answered from the agency's dedupe.
    log.error("outbox_result_not_recorded", outbox_id=outcome.row.id, kind=outcome.row.kind,
              correlation_id=outcome.correlation_id, error=f"{type(exc).__name__}: {exc}"[:300])


def _record(uow: SqlUnitOfWork, outcome: Outcome, worker_id: str, policy: RetryPolicy,
            at: datetime) -> None:
    row, conn = outcome.row, uow.conn
    if outcome.kind == DELIVERED:
        if not store.complete(conn, row.id, worker_id, at):
            outcome.extra["lease_lost"] = True
            return
        _apply_delivered(uow, outcome, at, fresh=True)
    elif outcome.kind == REJECTED:
        if not store.fail(conn, row.id, worker_id, at, outcome.error or "rejected"):
            outcome.extra["lease_lost"] = True
            return
        if row.kind == MessageKind.SUBMIT_CLAIM.value:
            claim = uow.claims.get_by_id(row.claim_id, for_update=True)
            if claim is not None and claim.state is not ClaimState.REJECTED:
                claim.mark_rejected(list(outcome.reasons) or [outcome.error or "rejected"], at)
            # Whatever was queued behind the submit can never go now: end it visibly.
            store.fail_later_rows(conn, row.claim_id, row.id, at,
                                  f"the agency rejected the claim (outbox row {row.id})")
    elif outcome.kind in (AUTH_FAILED, UNDELIVERABLE):
        if not store.fail(conn, row.id, worker_id, at, outcome.error or outcome.kind):
            outcome.extra["lease_lost"] = True
    elif outcome.kind == TRANSIENT:
        why = policy.exhausted(row.attempts, row.created_at, at)
        if why:
            ok = store.bury(conn, row.id, worker_id, at, f"{outcome.error} (gave up: {why})")
            outcome.extra["dead"] = True
        else:
            delay = policy.next_delay(row.attempts)
            outcome.extra["retry_in_s"] = round(delay, 2)
            ok = store.retry_later(conn, row.id, worker_id, at, at + timedelta(seconds=delay),
                                   outcome.error or "transient")
        if not ok:
            outcome.extra["lease_lost"] = True
    else:  # pragma: no cover - a programming error
        raise ValueError(f"unknown outcome {outcome.kind!r}")


def _apply_delivered(uow: SqlUnitOfWork, outcome: Outcome, at: datetime, *, fresh: bool) -> None:
    row = outcome.row
    if row.kind not in (MessageKind.SUBMIT_CLAIM.value, MessageKind.CANCEL_CLAIM.value):
        return  # payment and hand-over: the claim already shows them; the sync reports effects
    if fresh or outcome.claim is None:
        claim = uow.claims.get_by_id(row.claim_id, for_update=True)
    else:
        # The claim as the delivery read it, saved with its version check: if anyone changed
        # it since, ConcurrentUpdate sends the batch down the per-row path, which re-reads.
        # Saves a locking read per row (the no-op benchmark's 1,000 rows/s needs it).
        claim = outcome.claim
        uow.claims.adopt(claim)
    if claim is None:
        return
    try:
        if row.kind == MessageKind.SUBMIT_CLAIM.value:
            if claim.agency_file_number != outcome.file_number:
                claim.mark_submitted(outcome.file_number, at)
            # The first status only when it cannot undo a cancel the shop asked for
            # meanwhile (the agency still says "received" then).
            if outcome.status is not None and claim.state is ClaimState.SUBMITTED:
                apply_agency_status(claim, outcome.status, at)
        elif outcome.status is not None:
            apply_agency_status(claim, outcome.status, at)
    except DomainError as exc:
        # The agency has it; the claim's lifecycle disagrees. Keep the file number and say
        # so loudly instead of failing a delivery that happened.
        claim.agency_file_number = claim.agency_file_number or outcome.file_number
        log.error("outbox_claim_update_refused", outbox_id=row.id, claim_id=row.claim_id,
                  state=claim.state.value, error=str(exc))


def _log_all(outcomes: Sequence[Outcome]) -> None:
    # structlog runs its processors (redaction regexes) before the level check: skip the
    # per-row info lines early when they would be dropped anyway.
    info = logging.getLogger("gateway.dispatch").isEnabledFor(logging.INFO)
    for o in outcomes:
        if not info and o.kind in (DELIVERED, TRANSIENT) and not o.extra.get("dead"):
            continue
        fields = dict(outbox_id=o.row.id, claim_id=o.row.claim_id, kind=o.row.kind,
                      attempt=o.row.attempts, outcome=o.kind, correlation_id=o.correlation_id,
                      duration_ms=round(o.duration_s * 1000, 1), **o.extra)
        if o.kind == AUTH_FAILED:
            log.error("outbox_delivery", error=o.error,
                      action="fix the shop's agency credentials, then `gateway outbox retry`",
                      **fields)
        elif o.kind in (REJECTED, UNDELIVERABLE) or o.extra.get("dead"):
            log.warning("outbox_delivery", error=o.error, **fields)
        elif o.kind == TRANSIENT:
            log.info("outbox_delivery", error=o.error, **fields)
        else:
            log.info("outbox_delivery", file_number=o.file_number, **fields)
