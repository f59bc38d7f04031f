"""The claim aggregate: a claim, its debtor, its history and what the agency must be told.

Every change goes through a method of Claim. Each method checks the lifecycle,
records a ClaimEvent and, where the agency must hear of it, an OutboxMessage.
The unit of work in the service layer stores all three in one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Sequence

from .errors import DomainError
from .lifecycle import ClaimState, check_transition
from .money import ZERO, eur


class ClaimType(str, Enum):
    GOODS_SOLD = "GOODS_SOLD"
    GOODS_PREPAID = "GOODS_PREPAID"
    SERVICE = "SERVICE"


class DebtorKind(str, Enum):
    PERSON = "PERSON"
    COMPANY = "COMPANY"


class Salutation(str, Enum):
    MR = "MR"
    MS = "MS"
    UNKNOWN = "UNKNOWN"


class ActorKind(str, Enum):
    SHOP = "SHOP"
    STAFF = "STAFF"
    AGENCY = "AGENCY"
    SYSTEM = "SYSTEM"


class MessageKind(str, Enum):
    """What the dispatcher must tell the agency, in the order written."""

    SUBMIT_CLAIM = "SUBMIT_CLAIM"
    CANCEL_CLAIM = "CANCEL_CLAIM"
    REPORT_DIRECT_PAYMENT = "REPORT_DIRECT_PAYMENT"
    HAND_OVER_TO_LAWYER = "HAND_OVER_TO_LAWYER"


class CourtDunningInstruction(str, Enum):
    DUNNING_ONLY = "DUNNING_ONLY"  # agency code 1: MB and VB only
    DUNNING_THEN_LAWSUIT = "DUNNING_THEN_LAWSUIT"  # agency code 2: lawsuit on objection


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str

    def __str__(self) -> str:
        return f"{self.kind.value.lower()}:{self.id}"


SYSTEM = Actor(ActorKind.SYSTEM, "gateway")
ANONYMISED = "[anonymised]"


@dataclass(frozen=True)
class Debtor:
    kind: DebtorKind
    last_name: str | None = None
    first_name: str | None = None
    salutation: Salutation = Salutation.UNKNOWN
    company: str | None = None
    legal_form: str | None = None
    care_of: str | None = None
    street: str | None = None
    house_number: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str = "DE"
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    date_of_birth: date | None = None
    customer_id: str | None = None

    def address_complete(self) -> bool:
        return all((self.street, self.house_number, self.postcode, self.city, self.country))

    def anonymised(self) -> "Debtor":
        """The debtor with every personal detail removed (DSGVO retention).

        Kept: person or company and the country, which identify nobody and keep
        statistics meaningful.
        """
        return Debtor(kind=self.kind, country=self.country,
                      last_name=ANONYMISED if self.kind is DebtorKind.PERSON else None,
                      company=ANONYMISED if self.kind is DebtorKind.COMPANY else None)

    @property
    def is_anonymised(self) -> bool:
        return ANONYMISED in (self.last_name, self.company) and self.street is None


@dataclass(frozen=True)
class Payout:
    paid_out_on: date
    amount: Decimal
    number: str


@dataclass(frozen=True)
class AccountingSummary:
    total_debts: Decimal = ZERO
    paid: Decimal = ZERO
    outstanding: Decimal = ZERO
    current_payout: Decimal = ZERO
    sum_payout: Decimal = ZERO
    payouts: tuple[Payout, ...] = ()


@dataclass(frozen=True)
class CourtDates:
    """Dates the agency reported for the court procedure; deadlines derive from them."""

    dunning_order_issued_on: date | None = None
    dunning_order_served_on: date | None = None
    enforcement_order_issued_on: date | None = None
    procedure_stalled_on: date | None = None


@dataclass(frozen=True)
class ClaimEvent:
    """One entry of a claim's history. Details carry no personal data."""

    at: datetime
    actor: Actor
    what: str
    state_before: ClaimState | None
    state_after: ClaimState
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboxMessage:
    kind: MessageKind
    payload: dict[str, Any] = field(default_factory=dict)
    # Not to be sent before this moment (aware); None: at once. A claim waiting for its
    # hand-over day is handed over by the worker from then on.
    not_before: datetime | None = None


@dataclass(frozen=True)
class ConsumerCredit:
    """The claim arises from a consumer credit contract (§§ 491-508 BGB, including a shop's
    own instalment supply, § 506): the dunning procedure is closed to it when the effective
    annual rate exceeds the base rate at the contract date by more than 12 points
    (§ 688 (2) Nr. 1 ZPO), and an application must name both (§ 690 (1) Nr. 3 ZPO)."""

    effective_annual_rate: Decimal  # percent per year, e.g. Decimal("14.90")
    contract_date: date


@dataclass(frozen=True)
class ClaimContent:
    """What a shop submits: compared field by field for idempotent resubmission."""

    shop_claim_id: str
    claim_type: ClaimType
    reason: str
    principal: Decimal
    dunning_fees: Decimal
    date_of_origin: date
    due_date: date | None
    date_of_last_reminder: date | None
    note: str | None
    counter_performance_rendered: bool
    debtor: Debtor
    currency: str = "EUR"
    # None: not a consumer credit (every claim before this field existed).
    consumer_credit: ConsumerCredit | None = None


@dataclass
class Claim:
    shop_id: str
    content: ClaimContent
    state: ClaimState = ClaimState.RECEIVED
    id: int | None = None
    # The agency account the claim is handed to; it stays if the shop moves to another.
    agency_account: str | None = None
    # What the agency knows the claim by (its invoice/customer reference), unique per agency
    # account: the idempotency key of the hand-over. None on claims made before it existed
    # (they were handed over under their shop claim id).
    agency_reference: str | None = None
    agency_file_number: str | None = None
    agency_status_code: int | None = None
    agency_status_text: str | None = None
    rejection_reasons: tuple[str, ...] = ()
    accounting: AccountingSummary = field(default_factory=AccountingSummary)
    court: CourtDates = field(default_factory=CourtDates)
    # WAITING_FOR_DEFAULT: the day the worker hands the claim over (kept afterwards).
    handover_ready_on: date | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0
    # Collected by the methods below; the unit of work stores and clears them.
    pending_events: list[ClaimEvent] = field(default_factory=list, repr=False)
    pending_messages: list[OutboxMessage] = field(default_factory=list, repr=False)

    # -- convenience ------------------------------------------------------
    @property
    def shop_claim_id(self) -> str:
        return self.content.shop_claim_id

    @property
    def debtor(self) -> Debtor:
        return self.content.debtor

    # -- changes ------------------------------------------------------------
    @classmethod
    def receive(cls, shop_id: str, content: ClaimContent, agency_account: str | None,
                at: datetime, agency_reference: str | None = None) -> "Claim":
        claim = cls(shop_id=shop_id, content=content, agency_account=agency_account,
                    agency_reference=agency_reference, created_at=at, updated_at=at)
        claim._record(at, Actor(ActorKind.SHOP, shop_id), "received", None, ClaimState.RECEIVED)
        claim.pending_messages.append(OutboxMessage(MessageKind.SUBMIT_CLAIM))
        return claim

    def defer_handover(self, ready_on: date, not_before: datetime, conditions: Sequence[str],
                       at: datetime) -> None:
        """Keep a claim just received until its hand-over day (the shop's hand-over policy):
        its hand-over goes out from not_before (the start of ready_on in Germany).

        conditions: why that day, as sentences with dates and rules, no personal data.
        """
        if self.state is not ClaimState.RECEIVED or not any(
                m.kind is MessageKind.SUBMIT_CLAIM for m in self.pending_messages):
            raise DomainError("only a claim just received can wait for its hand-over day")
        self._move(ClaimState.WAITING_FOR_DEFAULT, at, SYSTEM, "waiting_for_default",
                   {"readyOn": ready_on.isoformat(), "conditions": list(conditions)})
        self.handover_ready_on = ready_on
        self.pending_messages = [replace(m, not_before=not_before)
                                 if m.kind is MessageKind.SUBMIT_CLAIM else m
                                 for m in self.pending_messages]

    def cancel_before_handover(self, reason: str | None, by: Actor, at: datetime) -> None:
        """Cancel a waiting claim whose hand-over was withdrawn unsent (the caller made sure):
        the agency never heard of it, so it is cancelled at once and nothing goes out."""
        self._move(ClaimState.CANCELLED, at, by, "cancelled_before_handover",
                   {"reason": reason} if reason else {})

    def mark_submitted(self, file_number: str, at: datetime) -> None:
        if self.state is ClaimState.CANCEL_REQUESTED:
            # The cancel is queued behind the submit; keep the state, learn the number.
            self.agency_file_number = file_number
            self._record(at, _agency(self), "agency_accepted", self.state, self.state,
                         {"fileNumber": file_number})
            return
        self._move(ClaimState.SUBMITTED, at, _agency(self), "agency_accepted",
                   {"fileNumber": file_number})
        self.agency_file_number = file_number

    def mark_rejected(self, reasons: list[str], at: datetime) -> None:
        self.rejection_reasons = tuple(reasons)
        self._move(ClaimState.REJECTED, at, _agency(self), "agency_rejected",
                   {"reasons": list(reasons)})

    def request_cancel(self, reason: str | None, by: Actor, at: datetime) -> None:
        self._move(ClaimState.CANCEL_REQUESTED, at, by, "cancel_requested",
                   {"reason": reason} if reason else {})
        self.pending_messages.append(OutboxMessage(MessageKind.CANCEL_CLAIM))

    def report_direct_payment(self, paid_on: date, amount: Decimal, by: Actor, at: datetime) -> None:
        amount = eur(amount)
        if amount <= ZERO:
            raise DomainError("a direct payment must be a positive amount")
        if self.state in (ClaimState.PAID, ClaimState.CANCELLED, ClaimState.REJECTED,
                          ClaimState.CLOSED_BY_AGENCY):
            raise DomainError(f"a claim in state {self.state.value} takes no payments")
        if self.state is ClaimState.WAITING_FOR_DEFAULT:
            # Booked behind the hand-over, it would hand a paid claim over on its day.
            raise DomainError("the claim waits for its hand-over day and is not at the agency: "
                              "cancel it if the debtor paid, and submit what is still owed "
                              "under a new shopClaimId")
        payload = {"paidOn": paid_on.isoformat(), "amount": f"{amount:f}"}
        self._record(at, by, "direct_payment_reported", self.state, self.state, payload)
        self.pending_messages.append(OutboxMessage(MessageKind.REPORT_DIRECT_PAYMENT, payload))

    def request_court_dunning(self, instruction: CourtDunningInstruction, by: Actor, at: datetime,
                              details: dict[str, Any] | None = None,
                              amounts: dict[str, Any] | None = None) -> None:
        """amounts: what the application lists apart (principal, interest, fees; § 690 (1)
        Nr. 3 ZPO) as JSON-safe data for the lawyer hand-over; no personal data."""
        payload: dict[str, Any] = {"instruction": instruction.value}
        if amounts is not None:
            payload["amounts"] = amounts
        self._move(ClaimState.COURT_DUNNING_REQUESTED, at, by, "court_dunning_requested",
                   {**payload, **(details or {})})
        self.pending_messages.append(OutboxMessage(MessageKind.HAND_OVER_TO_LAWYER, payload))

    def apply_agency_status(self, state: ClaimState, code: int, text: str | None, at: datetime,
                            details: dict[str, Any] | None = None) -> bool:
        """Take a status the agency reported. Returns True when the state changed.

        The same state again only refreshes the code; it records no event, so
        applying one change twice has no effect.
        """
        self.agency_status_code = code
        self.agency_status_text = text
        if state is self.state:
            return False
        self._move(state, at, _agency(self), "agency_status",
                   {"statusCode": code, **(details or {})})
        return True

    def resolve_review(self, state: ClaimState, by: Actor, at: datetime) -> None:
        """Staff decide where a claim in NEEDS_REVIEW stands (they asked the agency what its
        unmapped report meant). Nothing goes to the agency; the shop sees the event."""
        if self.state is not ClaimState.NEEDS_REVIEW:
            raise DomainError(f"the claim is {self.state.value}, not NEEDS_REVIEW")
        self._move(state, at, by, "review_resolved", {"resolvedTo": state.value})

    def anonymise_debtor(self, at: datetime, by: Actor = SYSTEM) -> bool:
        """Remove the debtor's personal data and the free-text note; amounts and history stay."""
        if self.debtor.is_anonymised:
            return False
        self.content = replace(self.content, debtor=self.debtor.anonymised(), note=None)
        self._record(at, by, "debtor_anonymised", self.state, self.state)
        return True

    def update_accounting(self, summary: AccountingSummary) -> bool:
        if summary == self.accounting:
            return False
        self.accounting = summary
        return True

    def update_court_dates(self, court: CourtDates) -> None:
        self.court = court

    # -- internals ------------------------------------------------------------
    def _move(self, target: ClaimState, at: datetime, actor: Actor, what: str,
              details: dict[str, Any] | None = None) -> None:
        check_transition(self.state, target)
        before = self.state
        self.state = target
        self._record(at, actor, what, before, target, details or {})

    def _record(self, at: datetime, actor: Actor, what: str, before: ClaimState | None,
                after: ClaimState, details: dict[str, Any] | None = None) -> None:
        self.updated_at = at
        self.pending_events.append(ClaimEvent(at, actor, what, before, after, dict(details or {})))


def _agency(claim: Claim) -> Actor:
    return Actor(ActorKind.AGENCY, claim.agency_account or "agency")


def with_debtor(content: ClaimContent, debtor: Debtor) -> ClaimContent:
    return replace(content, debtor=debtor)
