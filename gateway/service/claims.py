"""Use cases on claims: what the shop facade, the CLI, the dispatcher and the sync call.

Each function is one transaction: it loads, asks the aggregate to change,
and commits claim + history event + outbox row together.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Callable

from gateway.domain.agency import agency_reference
from gateway.domain.errors import Conflict, DomainError, FieldError, NotFound, ValidationFailed
from gateway.domain.fingerprint import content_fingerprint
from gateway.domain.handover import NeverInDefault, handover_readiness
from gateway.domain.lifecycle import COURT_STAGES, ClaimState, can_transition
from gateway.domain.model import Actor, ActorKind, Claim, ClaimContent, ClaimEvent
from gateway.domain.money import has_at_most_cents
from gateway.domain.validation import validate_claim

from .agency_port import AgencyStatus
from .court_calendar import court_date, start_of_court_day
from .unit_of_work import ClaimChange, DuplicateKey, UnitOfWork, UnitOfWorkFactory

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Receipt:
    claim: Claim
    created: bool


class UnknownShop(DomainError):
    pass


def submit_claim(uow_factory: UnitOfWorkFactory, shop_id: str, content: ClaimContent,
                 now: datetime | None = None) -> Receipt:
    """Store a new claim and queue its hand-over; a resubmission with the same content is a no-op.

    Same shop claim id + same content -> the original receipt, nothing written.
    Same id + different content -> Conflict.
    Under the shop's WHEN_IN_DEFAULT policy a claim that is not ready yet is stored as
    WAITING_FOR_DEFAULT and its hand-over is due at the start of its ready day (Germany);
    one that can never be ready (no default) is refused (ValidationFailed), unless it is a
    resubmission of a stored claim.
    """
    now = now or utc_now()
    errors = validate_claim(content, now.date())
    if errors:
        raise ValidationFailed(errors)
    never_ready = None
    with uow_factory() as uow:
        handover = uow.shops.handover_of(shop_id)
        if handover is None:
            raise UnknownShop(f"unknown shop {shop_id!r}")
        reference = agency_reference(handover.reference_prefix, content.shop_claim_id) \
            if handover.reference_prefix else content.shop_claim_id
        try:
            readiness = handover_readiness(content, handover.policy)
        except NeverInDefault as exc:
            never_ready = exc
        if never_ready is None:
            # Insert first: a new claim is the common case and costs no lookup. A taken shop
            # claim id (a resubmission, or a concurrent request that stored it first) fails
            # the insert and is answered from the stored claim below.
            claim = Claim.receive(shop_id, content, handover.account, now, reference)
            if readiness is not None and not readiness.ready(court_date(now)):
                claim.defer_handover(readiness.ready_on, start_of_court_day(readiness.ready_on),
                                     readiness.conditions, now)
            try:
                uow.commit_new_claim(claim)
                return Receipt(claim, created=True)
            except DuplicateKey:
                pass
    with uow_factory() as uow:
        stored = uow.claims.get(shop_id, content.shop_claim_id)
        if stored is None and never_ready is not None:
            raise ValidationFailed([FieldError("claim.dateOfLastReminder", str(never_ready))])
        if stored is None:  # not a taken id after all: nothing to answer from
            raise Conflict(f"claim {content.shop_claim_id!r} could not be stored; retry")
        if uow.claims.fingerprint(stored.id) != content_fingerprint(content):
            raise Conflict(f"claim {content.shop_claim_id!r} was already submitted with "
                           "different content; use a new shopClaimId or cancel the old claim")
        return Receipt(stored, created=False)


def get_claim(uow_factory: UnitOfWorkFactory, shop_id: str, shop_claim_id: str) -> Claim:
    with uow_factory() as uow:
        return _owned(uow, shop_id, shop_claim_id)


def get_history(uow_factory: UnitOfWorkFactory, shop_id: str,
                shop_claim_id: str) -> tuple[Claim, list[ClaimEvent]]:
    with uow_factory() as uow:
        claim = _owned(uow, shop_id, shop_claim_id)
        return claim, uow.claims.events(claim.id)


# How many new events one feed read numbers at most: bounds the read's work after a shop
# has not read for a long time; the rest is numbered by the following reads.
NUMBER_AT_MOST = 2000


def list_changes(uow_factory: UnitOfWorkFactory, shop_id: str, after_seq: int,
                 limit: int) -> list[ClaimChange]:
    """The shop's changes after after_seq, in order. Events get their numbers here, after
    they committed (the feed's only write; nothing is written when all are numbered)."""
    with uow_factory() as uow:
        numbered = uow.shops.number_new_events(shop_id, max(limit, NUMBER_AT_MOST))
        changes = uow.claims.changes(shop_id, after_seq, limit)
        if numbered:
            uow.commit()
        return changes


def cancel_claim(uow_factory: UnitOfWorkFactory, shop_id: str, shop_claim_id: str,
                 reason: str | None, now: datetime | None = None) -> Claim:
    now = now or utc_now()
    with uow_factory() as uow:
        claim = _owned(uow, shop_id, shop_claim_id, for_update=True)
        if claim.state in (ClaimState.CANCEL_REQUESTED, ClaimState.CANCELLED):
            return claim  # asking twice changes nothing
        by = Actor(ActorKind.SHOP, shop_id)
        if claim.state is ClaimState.WAITING_FOR_DEFAULT \
                and uow.claims.withdraw_waiting_handover(claim.id, now):
            # Its hand-over never went out and now never will: nothing to tell the agency.
            claim.cancel_before_handover(reason, by, now)
            uow.commit()
            return claim
        if not can_transition(claim.state, ClaimState.CANCEL_REQUESTED):
            raise Conflict(f"claim {shop_claim_id!r} is {claim.state.value} and can no longer be "
                           "cancelled")
        claim.request_cancel(reason, by, now)
        uow.commit()
        return claim


def report_direct_payment(uow_factory: UnitOfWorkFactory, shop_id: str, shop_claim_id: str,
                          paid_on: date | None, amount: Decimal | None,
                          now: datetime | None = None) -> Claim:
    now = now or utc_now()
    errors = []
    if amount is None or not amount.is_finite() or amount <= 0:
        errors.append(FieldError("amount", "must be greater than 0"))
    elif not has_at_most_cents(amount):
        errors.append(FieldError("amount", "must have at most 2 decimal places"))
    if paid_on is None:
        errors.append(FieldError("paidOn", "is required"))
    elif paid_on > now.date():
        errors.append(FieldError("paidOn", "must not be in the future"))
    if errors:
        raise ValidationFailed(errors)
    with uow_factory() as uow:
        claim = _owned(uow, shop_id, shop_claim_id, for_update=True)
        try:
            claim.report_direct_payment(paid_on, amount, Actor(ActorKind.SHOP, shop_id), now)
        except DomainError as exc:
            raise Conflict(str(exc)) from None
        uow.commit()
        return claim


def apply_agency_status(claim: Claim, status: AgencyStatus, now: datetime) -> bool:
    """Apply what the agency reports to a loaded claim. Returns True when the state changed.

    An unknown code, or a move the lifecycle does not allow, lands the claim in
    NEEDS_REVIEW (once) with the code in the event; it never stops the caller.
    """
    target = status.state
    details: dict = {}
    if target is None:
        target = ClaimState.NEEDS_REVIEW
        details = {"unknownStatusCode": status.code}
    elif target is not claim.state and not can_transition(claim.state, target):
        details = {"reportedState": target.value, "problem": "transition not allowed"}
        target = ClaimState.NEEDS_REVIEW
    if target is ClaimState.NEEDS_REVIEW and claim.state is ClaimState.NEEDS_REVIEW:
        claim.agency_status_code, claim.agency_status_text = status.code, status.text
        return False
    changed = claim.apply_agency_status(target, status.code, status.text, now, details)
    _track_court_dates(claim, status, now)
    return changed


# Where no mapping names the court date of a code, the state implies it.
_COURT_DATE_OF_STATE = {
    ClaimState.DUNNING_ORDER_ISSUED: "dunning_order_issued_on",
    ClaimState.DUNNING_ORDER_SERVED: "dunning_order_served_on",
    ClaimState.ENFORCEMENT_ORDER_ISSUED: "enforcement_order_issued_on",
}
_STALLED = "procedure_stalled_on"
_ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


def _track_court_dates(claim: Claim, status: AgencyStatus, now: datetime) -> None:
    """Record the court dates the deadlines derive from.

    The first issued/served/enforcement date of a procedure stays (a repeated
    report changes nothing); a stall is dated anew each time, and the procedure
    moving on again ends the stall (limitation suspension starts over).
    """
    field = status.court_date or _COURT_DATE_OF_STATE.get(status.state)
    court = claim.court
    if status.state in COURT_STAGES and field != _STALLED and court.procedure_stalled_on:
        court = replace(court, procedure_stalled_on=None)
    if field and (field == _STALLED or getattr(court, field) is None):
        court = replace(court, **{field: _reported_date(status, now)})
    claim.update_court_dates(court)


def _reported_date(status: AgencyStatus, now: datetime) -> date:
    """The agency's date for the event: an ISO date in the details, else the change time."""
    found = _ISO_DATE.search(status.details or "")
    if found:
        try:
            return date.fromisoformat(found.group(1))
        except ValueError:
            pass
    return (status.at or now).date()


def _owned(uow: UnitOfWork, shop_id: str, shop_claim_id: str, *, for_update: bool = False) -> Claim:
    """The shop's own claim, or NotFound: another shop's claim id is indistinguishable from none."""
    claim = uow.claims.get(shop_id, shop_claim_id, for_update=for_update)
    if claim is None:
        raise NotFound(f"no claim {shop_claim_id!r} for this shop")
    return claim
