"""Court dunning procedure (Mahnbescheid): may a claim go to the dunning court, which
court, what the court charges, and which deadlines follow once the court has acted.

Pure rules. The values that change over time (dunning courts, the GKG fee table,
catalogue numbers) are dated data in gateway/data/court_dunning.toml; this module reads
that file once and holds no such value itself.

Dates are calendar dates: a deadline that falls on a weekend or public holiday moves to
the next working day by law (§ 222 (2) ZPO, § 193 BGB), which this module does not do,
so every date it gives is the earliest the period can end, never too late.
"""
from __future__ import annotations

import calendar
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from enum import Enum
from functools import cache
from importlib.resources import files
from typing import Any

from .errors import DomainError
from .lifecycle import CLOSED, COURT_STAGES, ClaimState
from .model import Claim, ClaimType, CourtDates
from .money import CENT, CURRENCY, eur, has_at_most_cents

LIMITATION_SOON_DAYS = 60
OBJECTION_PERIOD = timedelta(days=14)  # § 692 (1) 3 ZPO
ENFORCEMENT_ORDER_MONTHS = 6  # § 701 ZPO: later, the Mahnbescheid lapses
SUSPENSION_AFTER_STALL_MONTHS = 6  # § 204 (2) BGB
LIMITATION_YEARS = 3  # § 195 BGB, counted from the end of the year the claim arose (§ 199)


# -- errors -----------------------------------------------------------------------------
class UnknownSeat(DomainError):
    """The applicant's seat is no state code the dunning court table knows."""


class InvalidCatalogueOverride(DomainError):
    """A shop's catalogue override names an unknown claim type or catalogue number."""


class NoFeeTable(DomainError):
    """No GKG fee table is valid on the date asked for."""


# -- results ----------------------------------------------------------------------------
class Code(str, Enum):
    """Stable codes of refusals and warnings; callers and shops may rely on them."""

    NO_FILE_NUMBER = "NO_FILE_NUMBER"
    CLOSED = "CLOSED"
    CANCEL_REQUESTED = "CANCEL_REQUESTED"
    ALREADY_IN_COURT_DUNNING = "ALREADY_IN_COURT_DUNNING"
    PRINCIPAL_NOT_POSITIVE_EUR = "PRINCIPAL_NOT_POSITIVE_EUR"
    COUNTER_PERFORMANCE_MISSING = "COUNTER_PERFORMANCE_MISSING"
    ADDRESS_INCOMPLETE = "ADDRESS_INCOMPLETE"
    DEBTOR_ABROAD = "DEBTOR_ABROAD"
    TIME_BARRED = "TIME_BARRED"
    LIMITATION_SOON = "LIMITATION_SOON"


@dataclass(frozen=True)
class Finding:
    """One refusal reason or warning: a stable code and a sentence for a person."""

    code: Code
    message: str


@dataclass(frozen=True)
class Preflight:
    """Whether a claim may go to the dunning court now, why not, and the facts of filing.

    reasons lists every refusal at once, so all can be fixed in one round. court_fee is
    None when the principal is no positive EUR amount, as there is nothing to charge on.
    """

    reasons: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    limitation_ends_on: date
    court: str
    court_fee: Decimal | None
    catalogue_number: int
    catalogue_label: str

    @property
    def allowed(self) -> bool:
        return not self.reasons

    @property
    def reason_codes(self) -> tuple[Code, ...]:
        return tuple(reason.code for reason in self.reasons)


@dataclass(frozen=True)
class CourtDeadlines:
    """Deadlines that follow from the court dates; None where the date they need is unknown.

    objection_period_ends_on: last day of the debtor's objection period (served + 14 days);
        the enforcement order may be applied for after it.
    enforcement_order_deadline: last day to apply for the enforcement order (served +
        6 months, § 701 ZPO); after it the Mahnbescheid lapses.
    limitation_suspension_ends_on: the day the suspension of limitation ends when the
        procedure stalls (stalled + 6 months, § 204 (2) BGB); remind the creditor before.
    """

    objection_period_ends_on: date | None
    enforcement_order_deadline: date | None
    limitation_suspension_ends_on: date | None


# -- the rules --------------------------------------------------------------------------
def preflight(
    claim: Claim,
    today: date,
    seat: str | None,
    catalogue_overrides: Mapping[str, int] | None = None,
) -> Preflight:
    """Check a claim before the court dunning procedure is instructed.

    seat: the applicant's seat as ISO 3166-2:DE state code ("BY", "NW-KOELN"), None when
    the applicant has no German seat; when the claim was assigned to the agency, the agency
    is the applicant and its seat counts. catalogue_overrides: the shop's catalogue number per
    claim type ({"GOODS_SOLD": 43}). An unknown seat or an invalid override raises,
    because both are configuration errors, not faults of the claim.
    """
    content = claim.content
    limitation_ends_on = limitation_end(content.date_of_origin)
    catalogue_number, catalogue_label = catalogue_entry(content.claim_type, catalogue_overrides)
    principal_ok = _is_positive_eur(content.principal, content.currency)
    return Preflight(
        reasons=tuple(_refusals(claim, today, limitation_ends_on, principal_ok)),
        warnings=tuple(_warnings(today, limitation_ends_on)),
        limitation_ends_on=limitation_ends_on,
        court=court_for_seat(seat),
        court_fee=court_fee(content.principal, today) if principal_ok else None,
        catalogue_number=catalogue_number,
        catalogue_label=catalogue_label,
    )


def _refusals(
    claim: Claim, today: date, limitation_ends_on: date, principal_ok: bool
) -> Iterator[Finding]:
    content = claim.content
    debtor = content.debtor
    if not claim.agency_file_number:
        yield Finding(Code.NO_FILE_NUMBER,
                      "The agency has not accepted the claim yet: it has no file number.")
    if claim.state in CLOSED:
        yield Finding(Code.CLOSED, f"The claim is closed (state {claim.state.value}).")
    if claim.state is ClaimState.CANCEL_REQUESTED:
        yield Finding(Code.CANCEL_REQUESTED, "The shop has asked to cancel the claim.")
    if claim.state in COURT_STAGES:
        yield Finding(Code.ALREADY_IN_COURT_DUNNING,
                      f"The claim is already in the court procedure (state {claim.state.value}).")
    if not principal_ok:
        yield Finding(Code.PRINCIPAL_NOT_POSITIVE_EUR,
                      "The court dunning procedure needs a fixed, positive principal in EUR "
                      "(§ 688 (1) ZPO).")
    if not content.counter_performance_rendered:
        yield Finding(Code.COUNTER_PERFORMANCE_MISSING,
                      "The goods have not been delivered or the service not rendered yet "
                      "(§ 688 (2) 2 ZPO).")
    if not debtor.address_complete():
        yield Finding(Code.ADDRESS_INCOMPLETE,
                      "The debtor's address is incomplete; the court cannot serve the order "
                      "(§ 688 (2) 3 ZPO).")
    country = (debtor.country or "").strip().upper()
    if country and country != "DE":
        yield Finding(Code.DEBTOR_ABROAD,
                      f"The debtor lives abroad ({country}): this needs the manual route with "
                      "service abroad (§ 688 (3), § 703d ZPO); a person must handle it.")
    if today > limitation_ends_on:
        yield Finding(Code.TIME_BARRED,
                      f"The claim became time-barred after {limitation_ends_on.isoformat()} "
                      "(§§ 195, 199 BGB).")


def _warnings(today: date, limitation_ends_on: date) -> Iterator[Finding]:
    days_left = (limitation_ends_on - today).days
    if 0 <= days_left <= LIMITATION_SOON_DAYS:
        # Filing stops limitation only if service follows promptly (§ 167 ZPO): no time to lose.
        yield Finding(Code.LIMITATION_SOON,
                      f"Limitation ends on {limitation_ends_on.isoformat()}, in {days_left} days: "
                      "file the application now.")


def _is_positive_eur(principal: Decimal, currency: str) -> bool:
    return (
        currency == CURRENCY
        and isinstance(principal, Decimal)
        and has_at_most_cents(principal)
        and principal > 0
    )


def limitation_end(date_of_origin: date) -> date:
    """Last day before a claim is time-barred: 31 December of the third year after the
    year it arose (§§ 195, 199 (1) BGB)."""
    return date(date_of_origin.year + LIMITATION_YEARS, 12, 31)


def court_for_seat(seat: str | None) -> str:
    """The central dunning court for the applicant's seat.

    seat: ISO 3166-2:DE state code, with or without "DE-" ("BY", "DE-BY"); for
    Nordrhein-Westfalen "NW-KOELN" in the OLG district Köln, else "NW". None means the
    applicant has no German seat. Raises UnknownSeat for any other code.
    """
    courts = _data().courts
    if seat is None:
        return courts.without_german_seat
    code = seat.strip().upper().removeprefix("DE-")
    try:
        return courts.by_state[code]
    except KeyError:
        known = ", ".join(sorted(courts.by_state))
        raise UnknownSeat(
            f"unknown applicant seat {seat!r}: expected a German state code ({known}) "
            "or None for an applicant without a German seat"
        ) from None


def court_fee(principal: Decimal, on: date) -> Decimal:
    """Court fee for a Mahnbescheid (GKG cost item 1100) filed on the given day.

    The dunning-order rate (0.5) of the full GKG § 34 fee on the principal, at least the
    minimum of the fee table valid that day, rounded half up to the cent. Only the
    principal counts: interest and costs do not raise the value (§ 43 GKG).
    """
    principal = eur(principal)
    if principal <= 0:
        raise ValueError(f"a court fee needs a positive principal, not {principal}")
    table = _fee_table_on(on)
    fee = (table.full_fee(principal) * table.dunning_order_rate).quantize(CENT, ROUND_HALF_UP)
    return max(fee, table.dunning_order_minimum)


def catalogue_entry(
    claim_type: ClaimType, overrides: Mapping[str, int] | None = None
) -> tuple[int, str]:
    """The catalogue number and its label for a claim type, the shop's override first.

    Raises InvalidCatalogueOverride when an override names a claim type that does not
    exist or a catalogue number the gateway does not know.
    """
    catalogue = _data().catalogue
    for type_name, number in (overrides or {}).items():
        if type_name not in ClaimType.__members__:
            raise InvalidCatalogueOverride(
                f"catalogue override for unknown claim type {type_name!r}"
            )
        if number not in catalogue.labels:
            known = ", ".join(str(n) for n in sorted(catalogue.labels))
            raise InvalidCatalogueOverride(
                f"catalogue number {number!r} for {type_name} is not one the gateway may file "
                f"(known: {known})"
            )
    number = (overrides or {}).get(claim_type.value, catalogue.by_claim_type[claim_type.value])
    return number, catalogue.labels[number]


def court_deadlines(court: CourtDates) -> CourtDeadlines:
    """Deadlines derived from the court dates the agency reported (see CourtDeadlines)."""
    served = court.dunning_order_served_on
    stalled = court.procedure_stalled_on
    return CourtDeadlines(
        objection_period_ends_on=served + OBJECTION_PERIOD if served else None,
        enforcement_order_deadline=(
            _add_months(served, ENFORCEMENT_ORDER_MONTHS) if served else None
        ),
        limitation_suspension_ends_on=(
            _add_months(stalled, SUSPENSION_AFTER_STALL_MONTHS) if stalled else None
        ),
    )


def _add_months(day: date, months: int) -> date:
    """The same day some months later; the month's last day where it has no such day
    (§ 188 (3) BGB: Aug 31 + 6 months = Feb 28, or 29 in a leap year)."""
    months_since_year_zero = day.year * 12 + day.month - 1 + months
    year, month_index = divmod(months_since_year_zero, 12)
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# -- the data file ----------------------------------------------------------------------
@dataclass(frozen=True)
class _FeeStep:
    up_to: Decimal | None  # None: the last step, without upper limit
    per: Decimal
    add: Decimal


@dataclass(frozen=True)
class _FeeTable:
    valid_from: date
    base_fee: Decimal
    base_up_to: Decimal
    dunning_order_rate: Decimal
    dunning_order_minimum: Decimal
    steps: tuple[_FeeStep, ...]

    def full_fee(self, value: Decimal) -> Decimal:
        """The full (1.0) fee: base fee, plus each step's amount per started part."""
        fee = self.base_fee
        lower = self.base_up_to
        for step in self.steps:
            if value <= lower:
                break
            upper = value if step.up_to is None else min(value, step.up_to)
            started_parts = ((upper - lower) / step.per).to_integral_value(ROUND_CEILING)
            fee += started_parts * step.add
            if step.up_to is None:
                break
            lower = step.up_to
        return fee


@dataclass(frozen=True)
class _Courts:
    by_state: Mapping[str, str]
    without_german_seat: str


@dataclass(frozen=True)
class _Catalogue:
    labels: Mapping[int, str]
    by_claim_type: Mapping[str, int]


@dataclass(frozen=True)
class _CourtDunningData:
    courts: _Courts
    fee_tables: tuple[_FeeTable, ...]  # oldest first
    catalogue: _Catalogue


def _fee_table_on(day: date) -> _FeeTable:
    valid = [table for table in _data().fee_tables if table.valid_from <= day]
    if not valid:
        raise NoFeeTable(f"no GKG fee table is valid on {day.isoformat()}")
    return valid[-1]


@cache
def _data() -> _CourtDunningData:
    text = (files("gateway") / "data" / "court_dunning.toml").read_text(encoding="utf-8")
    # parse_float=Decimal: fee amounts never pass through binary floats.
    raw = tomllib.loads(text, parse_float=Decimal)
    courts = raw["dunning_courts"]
    catalogue = raw["catalogue"]
    return _CourtDunningData(
        courts=_Courts(
            by_state=dict(courts["by_state"]),
            without_german_seat=courts["without_german_seat"],
        ),
        fee_tables=tuple(sorted((_fee_table(t) for t in raw["gkg_fee_tables"]),
                                key=lambda table: table.valid_from)),
        catalogue=_Catalogue(
            labels={int(number): label for number, label in catalogue["labels"].items()},
            by_claim_type=dict(catalogue["by_claim_type"]),
        ),
    )


def _fee_table(raw: Mapping[str, Any]) -> _FeeTable:
    return _FeeTable(
        valid_from=raw["valid_from"],
        base_fee=Decimal(raw["base_fee"]),
        base_up_to=Decimal(raw["base_up_to"]),
        dunning_order_rate=Decimal(raw["dunning_order_rate"]),
        dunning_order_minimum=Decimal(raw["dunning_order_minimum"]),
        steps=tuple(
            _FeeStep(
                up_to=Decimal(step["up_to"]) if "up_to" in step else None,
                per=Decimal(step["per"]),
                add=Decimal(step["add"]),
            )
            for step in raw["steps"]
        ),
    )
