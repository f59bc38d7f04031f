"""One delivery: what to tell the agency for an outbox row, and what came of it.

deliver() runs in a pool thread with no database transaction open during the
agency call (it reads the claim and the credentials in a short read-only one
first). Its Outcome is recorded afterwards, in a new transaction, by record.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Callable

from gateway.domain.lifecycle import COURT_STAGES, ClaimState
from gateway.domain.model import Claim, CourtDunningInstruction, MessageKind
from gateway.service.agency_port import (AgencyAmbiguous, AgencyAuthFailed, AgencyCredentials,
                                         AgencyError, AgencyPort, AgencyRejected, AgencyStatus,
                                         CourtDunningAmounts)
from gateway.service.court_calendar import court_date
from gateway.service.court_dunning import court_dunning_amounts_of
from gateway.store.outbox_store import OutboxRow

# Outcome kinds
DELIVERED = "delivered"  # the agency took it
REJECTED = "rejected"  # the agency refused it: permanent
AUTH_FAILED = "auth_failed"  # credentials refused or missing: permanent, loud
TRANSIENT = "transient"  # retry later (also ambiguous, where a retry cannot duplicate)
UNDELIVERABLE = "undeliverable"  # can never go (claim rejected, no file number): permanent


@dataclass
class Outcome:
    row: OutboxRow
    kind: str
    error: str | None = None
    reasons: tuple[str, ...] = ()
    file_number: str | None = None
    status: AgencyStatus | None = None  # what the agency reported after the call, if asked
    claim: Claim | None = None  # as read before the call (the recorder saves it optimistically)
    correlation_id: str = ""
    duration_s: float = 0.0
    extra: dict = field(default_factory=dict)


CredentialsLookup = Callable[[str], AgencyCredentials]


def describe(exc: BaseException) -> str:
    """last_error text: the error class first, so a later attempt can tell what happened.

    An agency's reasons may quote debtor data (a postcode, a name): they go to the
    claim (GetClaim shows them to its shop), never into the outbox row or a log line.
    """
    text = f"{type(exc).__name__}: {exc}"
    reasons = getattr(exc, "reasons", ())
    if reasons:
        text += f" ({len(reasons)} reason(s), see the claim)"
    return text


def deliver(agency: AgencyPort, row: OutboxRow, claim: Claim | None,
            creds: AgencyCredentials | None, *, initial_status: bool = False) -> Outcome:
    """Call the agency for one row; never raises for an agency failure."""
    if claim is None:
        return Outcome(row, UNDELIVERABLE, f"claim {row.claim_id} no longer exists")
    kind = MessageKind(row.kind)
    if claim.state is ClaimState.REJECTED:
        return Outcome(row, UNDELIVERABLE,
                       "the agency rejected this claim; nothing more can be sent for it")
    if kind is not MessageKind.SUBMIT_CLAIM and not claim.agency_file_number:
        return Outcome(row, UNDELIVERABLE, "the claim has no agency file number")
    try:
        if creds is None:
            raise AgencyAuthFailed("no agency credentials")
        if kind is MessageKind.SUBMIT_CLAIM:
            return _submit(agency, row, claim, creds, initial_status)
        if kind is MessageKind.CANCEL_CLAIM:
            return _cancel(agency, row, claim, creds)
        if kind is MessageKind.REPORT_DIRECT_PAYMENT:
            return _direct_payment(agency, row, claim, creds)
        return _hand_over(agency, row, claim, creds)
    except AgencyAuthFailed as exc:
        return Outcome(row, AUTH_FAILED, describe(exc))
    except AgencyRejected as exc:
        return Outcome(row, REJECTED, describe(exc), reasons=exc.reasons)
    except AgencyError as exc:  # AgencyTransient and AgencyAmbiguous
        return Outcome(row, TRANSIENT, describe(exc))


def _submit(agency: AgencyPort, row: OutboxRow, claim: Claim, creds: AgencyCredentials,
            initial_status: bool) -> Outcome:
    # Safe to repeat after AgencyAmbiguous: the agency dedupes on the invoice (the shop's
    # claim id) and answers the file number it already gave (AgencyPort.submit_claim).
    number = claim.agency_file_number or agency.submit_claim(creds, claim)
    status = None
    if initial_status:
        status = _status_or_none(agency, creds, number)
    return Outcome(row, DELIVERED, file_number=number, status=status)


def _cancel(agency: AgencyPort, row: OutboxRow, claim: Claim,
            creds: AgencyCredentials) -> Outcome:
    number = claim.agency_file_number
    try:
        agency.close_claim(creds, number)
    except AgencyRejected:
        # A closeClaim whose answer was lost may have closed it already; then the agency
        # refuses the repeat. Its status says whether what we wanted has happened.
        status = _status_or_none(agency, creds, number)
        if status is not None and status.state is ClaimState.CANCELLED:
            return Outcome(row, DELIVERED, status=status, extra={"already": True})
        raise
    # The agency's own status makes the claim CANCELLED (its code table decides, not us);
    # if this read fails the status sync brings the same news a little later.
    return Outcome(row, DELIVERED, status=_status_or_none(agency, creds, number))


def _direct_payment(agency: AgencyPort, row: OutboxRow, claim: Claim,
                    creds: AgencyCredentials) -> Outcome:
    if (row.last_error or "").startswith(AgencyAmbiguous.__name__):
        # A payment booked twice is money reported twice, and the port offers no way to
        # see whether the lost attempt was booked: a person checks, then retries.
        return Outcome(row, UNDELIVERABLE,
                       "the previous attempt got no answer and may have been booked: check the "
                       "claim's account at the agency, then `gateway outbox retry` to book it")
    paid_on = date.fromisoformat(row.payload["paidOn"])
    amount = Decimal(row.payload["amount"])
    agency.book_direct_payment(creds, claim.agency_file_number, paid_on, amount)
    return Outcome(row, DELIVERED)


def _hand_over(agency: AgencyPort, row: OutboxRow, claim: Claim,
               creds: AgencyCredentials) -> Outcome:
    instruction = CourtDunningInstruction(row.payload["instruction"])
    amounts = _amounts(row, claim)
    try:
        agency.hand_over_to_lawyer(creds, claim.agency_file_number, instruction, amounts)
    except AgencyRejected:
        if (row.last_error or "").startswith(AgencyAmbiguous.__name__):
            # The unanswered attempt may have handed it over; then a repeat is refused.
            status = _status_or_none(agency, creds, claim.agency_file_number)
            if status is not None and status.state in COURT_STAGES:
                return Outcome(row, DELIVERED, extra={"already": True})
        raise
    return Outcome(row, DELIVERED)


def _amounts(row: OutboxRow, claim: Claim) -> CourtDunningAmounts:
    """The amounts the request was reckoned with (its row carries them); a row queued before
    they travelled with it gets them reckoned anew up to the day it was queued."""
    if "amounts" in row.payload:
        return CourtDunningAmounts.from_payload(row.payload["amounts"])
    return court_dunning_amounts_of(claim, court_date(row.created_at))


def _status_or_none(agency: AgencyPort, creds: AgencyCredentials,
                    number: str) -> AgencyStatus | None:
    try:
        return agency.get_status(creds, number)
    except AgencyError:
        return None
