"""The agency port: what the gateway needs from any collection agency.

One adapter per agency (gateway/agencies/<name>/) implements it; its mapping
(mappings/<name>/) turns the agency's types and codes into these. Adding an
agency needs no change here, in the dispatcher or in the sync.

Every call either returns or raises one of the AgencyError subclasses, so
callers decide retry/permanent/ambiguous from the type alone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, Sequence

from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import AccountingSummary, Claim, CourtDunningInstruction
from gateway.domain.money import ZERO, eur, format_eur


@dataclass(frozen=True)
class AgencyCredentials:
    """A creditor's credentials at one agency connection (an agency account).

    client_id: who the creditor is there (mediafinanz SOAP: the numeric clientId; REST:
    the client UUID). client_key: the secret (SOAP: the client licence key; REST: the
    password). user: a user name where the agency wants one (REST). Installation-level
    secrets (an application key) belong to the connection, not here.
    """

    client_id: str
    client_key: str
    sandbox: bool = False
    user: str | None = None

    def __repr__(self) -> str:  # never print the key
        return (f"AgencyCredentials(client_id={self.client_id!r}, user={self.user!r}, "
                f"sandbox={self.sandbox})")


@dataclass(frozen=True)
class AgencyStatus:
    """A status as the agency reported it, with the lifecycle state it maps to.

    state is None when the mapping does not know the code: the service moves
    the claim to NEEDS_REVIEW and keeps the code.
    """

    file_number: str
    code: int
    text: str | None
    state: ClaimState | None
    at: datetime | None = None
    details: str | None = None
    # The CourtDates field this code dates (e.g. "dunning_order_served_on"), as the
    # agency's mapping says; the date itself is the ISO date in details.
    court_date: str | None = None


@dataclass(frozen=True)
class StatusChangeBatch:
    """One batch of the agency's changes feed; commit it only after storing it."""

    transaction_id: str | None
    changes: Sequence[AgencyStatus] = field(default_factory=tuple)


@dataclass(frozen=True)
class JournalEntry:
    at: datetime
    subject: str
    details: str | None = None


@dataclass(frozen=True)
class ClaimOptions:
    close: bool = False
    lawyer: bool = False
    factoring: bool = False
    long_term_observation: bool = False
    address_identification: bool = False


@dataclass(frozen=True)
class InterestAmount:
    """Default interest as a court dunning application names it (§ 690 (1) Nr. 3 ZPO): from
    start to end, both days included, at points_over_base_rate over the base rate (§ 288 (1),
    (2) BGB: 5 against a consumer, 9 against a business), rate: the rate in percent per year
    on the last day (the base rate changes every half-year), amount: the interest up to end."""

    start: date
    end: date
    points_over_base_rate: Decimal
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class CourtDunningAmounts:
    """What a court dunning application lists apart (§ 690 (1) Nr. 3 ZPO), reckoned up to
    as_of (the day of the request): the principal, the default interest (None when default
    had not begun), the 40 EUR flat fee against a business debtor (§ 288 (5) BGB; 0.00
    otherwise) and the shop's dunning fees. Amounts only, no personal data: it travels in
    the outbox row."""

    as_of: date
    principal: Decimal
    dunning_fees: Decimal
    flat_fee: Decimal = ZERO
    interest: InterestAmount | None = None

    @property
    def total(self) -> Decimal:
        interest = self.interest.amount if self.interest else ZERO
        return self.principal + interest + self.flat_fee + self.dunning_fees

    def as_payload(self) -> dict[str, Any]:
        """JSON-safe: amounts and rates as plain decimal strings, dates ISO."""
        data: dict[str, Any] = {"asOf": self.as_of.isoformat(),
                                "principal": format_eur(self.principal),
                                "dunningFees": format_eur(self.dunning_fees),
                                "flatFee": format_eur(self.flat_fee)}
        if self.interest is not None:
            i = self.interest
            data["interest"] = {"start": i.start.isoformat(), "end": i.end.isoformat(),
                                "pointsOverBaseRate": f"{i.points_over_base_rate:f}",
                                "rate": f"{i.rate:f}", "amount": format_eur(i.amount)}
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> "CourtDunningAmounts":
        """The inverse of as_payload. Raises KeyError/ValueError on anything else."""
        raw = data.get("interest")
        interest = None if raw is None else InterestAmount(
            date.fromisoformat(raw["start"]), date.fromisoformat(raw["end"]),
            Decimal(raw["pointsOverBaseRate"]), Decimal(raw["rate"]), eur(raw["amount"]))
        return cls(date.fromisoformat(data["asOf"]), eur(data["principal"]),
                   eur(data["dunningFees"]), eur(data["flatFee"]), interest)


class AgencyError(Exception):
    """Base: every failure of an agency call is one of the subclasses."""

    retryable = False

    def __init__(self, message: str, reasons: Sequence[str] = ()):
        super().__init__(message)
        self.reasons = tuple(reasons)


class AgencyRejected(AgencyError):
    """The agency refused the request (business validation). Permanent; reasons kept."""


class AgencyAuthFailed(AgencyError):
    """Credentials refused. Permanent and loud: an operator must fix configuration."""


class AgencyTransient(AgencyError):
    """Timeout, connection refused, HTTP 5xx, SOAP Server fault: the request did not take effect."""

    retryable = True


class AgencyAmbiguous(AgencyTransient):
    """The request may have arrived (sent, no answer). Retry only in a way that cannot duplicate."""


class AgencyPort(Protocol):
    name: str
    # False for an agency without a changes feed: the sync then polls get_status for each
    # open claim, and get_status_changes / commit_changes are never called.
    has_changes_feed: bool

    def submit_claim(self, creds: AgencyCredentials, claim: Claim) -> str:
        """Hand a claim over; returns the agency file number.

        Idempotent on claim.agency_reference, which is unique per agency account: a
        repeated submission of the same reference returns the existing file number.
        """

    def get_status(self, creds: AgencyCredentials, file_number: str) -> AgencyStatus: ...

    def get_status_changes(self, creds: AgencyCredentials) -> StatusChangeBatch: ...

    def commit_changes(self, creds: AgencyCredentials, transaction_id: str) -> None: ...

    def get_accounting(self, creds: AgencyCredentials, file_number: str) -> AccountingSummary: ...

    def close_claim(self, creds: AgencyCredentials, file_number: str) -> None: ...

    def book_direct_payment(self, creds: AgencyCredentials, file_number: str,
                            paid_on: date, amount: Decimal) -> None: ...

    def hand_over_to_lawyer(self, creds: AgencyCredentials, file_number: str,
                            instruction: CourtDunningInstruction,
                            amounts: CourtDunningAmounts) -> None:
        """Instruct the court dunning procedure through the agency's lawyer, with the
        principal, interest and ancillary claims the application lists apart."""

    def check_credentials(self, creds: AgencyCredentials) -> None:
        """A cheap call that raises AgencyAuthFailed or AgencyTransient when something is wrong."""


class AgencyRoutes(Protocol):
    """Where an agency account's calls go: the adapter of its connection and its credentials
    (built by the composition root, gateway.app.AgencyRegistry)."""

    def route(self, uow: Any, account: str | None) -> tuple[AgencyPort, AgencyCredentials]:
        """Raises AgencyAuthFailed when the account (or its connection) is missing."""
