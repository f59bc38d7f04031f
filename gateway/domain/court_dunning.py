"""Court dunning procedure (Mahnbescheid): may a claim go to the dunning court, which
court, what the court charges, and which deadlines follow once the court has acted.

Pure rules. The values that change over time (dunning courts and their seats, the GKG fee
table, catalogue numbers) are dated data in gateway/data/court_dunning.toml; this module
reads that file once and holds no such value itself.

Whose holidays count: the competent central dunning court's seat. For the court's own
periods § 222 (2) ZPO says so. For the last day to file against limitation § 193 BGB
counts the holidays "at the place where the act is to be done": the act is filing the
application with the competent dunning court, so the same seat (the applicant's own seat
does not count). A period ending on a Saturday, Sunday or holiday there ends on the next
working day; each moved date says which rule moved it (working_days.MovedDate).
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
from .interest import BaseRate, DefaultClaims, NoBaseRate, base_rate_on, default_claims
from .lifecycle import CLOSED, COURT_STAGES, ClaimState
from .model import Claim, ClaimContent, ClaimType, ConsumerCredit, CourtDates
from .money import CENT, CURRENCY, eur, has_at_most_cents
from .working_days import (
    RULE_BGB_193,
    RULE_ZPO_222,
    MovedDate,
    holiday_state,
    latest_period_end,
    period_end,
)

LIMITATION_SOON_DAYS = 60
OBJECTION_PERIOD = timedelta(days=14)  # § 692 (1) 3 ZPO
ENFORCEMENT_ORDER_MONTHS = 6  # § 701 ZPO: later, the Mahnbescheid lapses
SUSPENSION_AFTER_STALL_MONTHS = 6  # § 204 (2) BGB
LIMITATION_YEARS = 3  # § 195 BGB, counted from the end of the year the claim arose (§ 199)
CONSUMER_CREDIT_MAX_POINTS = Decimal("12")  # § 688 (2) Nr. 1 ZPO: above the base rate


# -- errors -----------------------------------------------------------------------------
class UnknownSeat(DomainError):
    """The applicant's seat is no state code the dunning court table knows."""


class InvalidCatalogueOverride(DomainError):
    """A shop's catalogue override names an unknown claim type or catalogue number."""


class NoFeeTable(DomainError):
    """No GKG fee table is valid on the date asked for."""


class UnknownCourt(DomainError):
    """A dunning court the data file does not list (so its seat is not known)."""


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
    CONSUMER_CREDIT_RATE_TOO_HIGH = "CONSUMER_CREDIT_RATE_TOO_HIGH"
    # The base rate at the contract date is not in the table: a person must check § 688 (2) 1.
    CONSUMER_CREDIT_RATE_UNCHECKED = "CONSUMER_CREDIT_RATE_UNCHECKED"
    LIMITATION_SOON = "LIMITATION_SOON"


@dataclass(frozen=True)
class Finding:
    """One refusal reason or warning: a stable code and a sentence for a person.

    facts: the numbers behind it as (name, value) pairs, values as text (amounts and rates
    in plain decimal notation, dates ISO), for a caller that shows or stores them.
    """

    code: Code
    message: str
    facts: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Limitation:
    """When a claim becomes time-barred (§§ 195, 199 (1) BGB) and the last day to file.

    arose_on: the day the claim arose; for a claim with a payment term the day it falls
        due (its due date), else its date of origin. arose_from names which ("dueDate",
        "dateOfOrigin").
    ends_on: the legal end, 31 December of the third year after arose_on's year.
    last_filing_day: ends_on moved by § 193 BGB at the dunning court's seat when it is a
        Saturday, Sunday or holiday: an application filed that day still suspends limitation
        (§ 204 (1) Nr. 3 BGB, § 167 ZPO if served promptly).
    """

    arose_on: date
    arose_from: str
    ends_on: date
    last_filing_day: MovedDate


@dataclass(frozen=True)
class ConsumerCreditCheck:
    """§ 688 (2) Nr. 1 ZPO for one contract: the base rate at its date and the limit.

    base_rate None: the table does not reach back to the contract date (cannot decide).
    """

    credit: ConsumerCredit
    base_rate: BaseRate | None

    @property
    def limit(self) -> Decimal | None:
        """The highest effective annual rate that still allows the dunning procedure."""
        return None if self.base_rate is None else self.base_rate.percent + CONSUMER_CREDIT_MAX_POINTS

    @property
    def excluded(self) -> bool:
        """The rate exceeds the base rate by MORE than 12 points: no dunning procedure."""
        return self.limit is not None and self.credit.effective_annual_rate > self.limit


@dataclass(frozen=True)
class Preflight:
    """Whether a claim may go to the dunning court now, why not, and the facts of filing.

    reasons lists every refusal at once, so all can be fixed in one round. court_fee is
    None when the principal is no positive EUR amount, as there is nothing to charge on.
    court_seat_state: the state whose holidays count (the court's seat).
    default_claims: default interest up to and including the check's day and the flat fee
    (interest.default_claims); None when the base-rate table does not reach back to the
    day default began (only claims long time-barred).
    """

    reasons: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    limitation: Limitation
    court: str
    court_seat_state: str
    court_fee: Decimal | None
    catalogue_number: int
    catalogue_label: str
    default_claims: DefaultClaims | None = None

    @property
    def limitation_ends_on(self) -> date:
        """The legal end of limitation (31 December), before § 193 BGB."""
        return self.limitation.ends_on

    @property
    def last_filing_day(self) -> MovedDate:
        return self.limitation.last_filing_day

    @property
    def allowed(self) -> bool:
        return not self.reasons

    @property
    def reason_codes(self) -> tuple[Code, ...]:
        return tuple(reason.code for reason in self.reasons)


@dataclass(frozen=True)
class CourtDeadlines:
    """Deadlines that follow from the court dates; None where the date they need is unknown.

    objection_period_end: last day of the debtor's objection period (served + 14 days,
        § 692 (1) Nr. 3 ZPO), moved by § 222 (2) ZPO at the court's seat.
    enforcement_order_earliest_on: the first day the enforcement order may be applied for:
        the day after the objection period has ended (§ 699 (1) 2 ZPO). Earlier is the
        unsafe direction.
    enforcement_order_last_day: last day to apply for the enforcement order (served +
        6 months, § 701 ZPO), moved by § 222 (2) ZPO; after it the Mahnbescheid lapses.
    limitation_suspension_end: the day the suspension of limitation ends when the
        procedure stalls (stalled + 6 months, § 204 (2) BGB). Never moved: it ends a
        suspension, no period for a declaration, so § 193 BGB does not clearly apply, and
        the earlier date is the safe one for the reminder it serves.
    court_seat_state: the state whose holidays counted; None when the caller did not name
        the court: then the first two are calendar dates, not moved (the behaviour before
        § 222 was applied), and enforcement_order_earliest_on follows the latest objection
        end any state's holidays could give, so it is never too early.
    """

    objection_period_end: MovedDate | None
    enforcement_order_earliest_on: date | None
    enforcement_order_last_day: MovedDate | None
    limitation_suspension_end: MovedDate | None
    court_seat_state: str | None = None

    @property
    def objection_period_ends_on(self) -> date | None:
        return _day(self.objection_period_end)

    @property
    def enforcement_order_deadline(self) -> date | None:
        return _day(self.enforcement_order_last_day)

    @property
    def limitation_suspension_ends_on(self) -> date | None:
        return _day(self.limitation_suspension_end)


def _day(moved: MovedDate | None) -> date | None:
    return moved.moved_to if moved else None


# -- the rules --------------------------------------------------------------------------
def preflight(
    claim: Claim,
    today: date,
    seat: str | None,
    catalogue_overrides: Mapping[str, int] | None = None,
    *,
    consumer_notified: bool = False,
) -> Preflight:
    """Check a claim before the court dunning procedure is instructed.

    seat: the applicant's seat as ISO 3166-2:DE state code ("BY", "NW-KOELN"), None when
    the applicant has no German seat; when the claim was assigned to the agency, the agency
    is the applicant and its seat counts. catalogue_overrides: the shop's catalogue number per
    claim type ({"GOODS_SOLD": 43}). consumer_notified: the shop's invoices tell consumers
    of default after 30 days (§ 286 (3) BGB; see interest.default_begins_on). An unknown
    seat or an invalid override raises, because both are configuration errors, not faults
    of the claim.
    """
    content = claim.content
    court = court_for_seat(seat)
    state = court_seat_state(court)
    limitation = limitation_of(content, state)
    catalogue_number, catalogue_label = catalogue_entry(content.claim_type, catalogue_overrides)
    principal_ok = _is_positive_eur(content.principal, content.currency)
    return Preflight(
        reasons=tuple(_refusals(claim, today, limitation, principal_ok)),
        warnings=tuple(_warnings(today, limitation)),
        limitation=limitation,
        court=court,
        court_seat_state=state,
        court_fee=court_fee(content.principal, today) if principal_ok else None,
        catalogue_number=catalogue_number,
        catalogue_label=catalogue_label,
        default_claims=_default_claims(content, today, consumer_notified) if principal_ok else None,
    )


def _default_claims(content: ClaimContent, today: date,
                    consumer_notified: bool) -> DefaultClaims | None:
    try:
        return default_claims(content, today, consumer_notified=consumer_notified)
    except NoBaseRate:
        return None  # default began before the base-rate table: long time-barred


def _refusals(
    claim: Claim, today: date, limitation: Limitation, principal_ok: bool
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
    if content.consumer_credit is not None:
        yield from _consumer_credit_refusals(check_consumer_credit(content.consumer_credit))
    last_day = limitation.last_filing_day
    if today > last_day.moved_to:
        yield Finding(Code.TIME_BARRED,
                      f"The claim became time-barred after {limitation.ends_on.isoformat()} "
                      f"(§§ 195, 199 BGB){_filing_day_note(last_day)}.",
                      _limitation_facts(limitation))


def _consumer_credit_refusals(check: ConsumerCreditCheck) -> Iterator[Finding]:
    credit = check.credit
    facts = [("effectiveAnnualRate", f"{credit.effective_annual_rate:f}"),
             ("contractDate", credit.contract_date.isoformat())]
    if check.base_rate is None:
        yield Finding(Code.CONSUMER_CREDIT_RATE_UNCHECKED,
                      "The claim arises from a consumer credit contract whose date "
                      f"({credit.contract_date.isoformat()}) is before the base-rate table: "
                      "a person must check whether the effective annual rate exceeds the base "
                      "rate by more than 12 points (§ 688 (2) Nr. 1 ZPO).", tuple(facts))
        return
    if not check.excluded:
        return
    base = check.base_rate
    facts += [("baseRate", f"{base.percent:f}"), ("baseRateValidFrom", base.valid_from.isoformat()),
              ("baseRateStatus", base.status.value), ("limit", f"{check.limit:f}"),
              ("pointsOverBaseRate", f"{credit.effective_annual_rate - base.percent:f}")]
    yield Finding(Code.CONSUMER_CREDIT_RATE_TOO_HIGH,
                  f"The claim arises from a consumer credit contract whose effective annual rate "
                  f"({credit.effective_annual_rate:f} %) exceeds the base rate at the contract "
                  f"date ({base.percent:f} % on {credit.contract_date.isoformat()}) by more than "
                  f"12 points (at most {check.limit:f} %): the dunning procedure is not "
                  "available (§ 688 (2) Nr. 1 ZPO).", tuple(facts))


def _warnings(today: date, limitation: Limitation) -> Iterator[Finding]:
    last_day = limitation.last_filing_day
    days_left = (last_day.moved_to - today).days
    if 0 <= days_left <= LIMITATION_SOON_DAYS:
        # Filing stops limitation only if service follows promptly (§ 167 ZPO): no time to lose.
        yield Finding(Code.LIMITATION_SOON,
                      f"Limitation ends on {limitation.ends_on.isoformat()}"
                      f"{_filing_day_note(last_day)}, in {days_left} days: "
                      "file the application now.", _limitation_facts(limitation))


def _filing_day_note(last_day: MovedDate) -> str:
    if not last_day.moved:
        return ""
    return (f"; the last day to file is {last_day.moved_to.isoformat()} "
            f"({last_day.rule}: {last_day.reason})")


def _limitation_facts(limitation: Limitation) -> tuple[tuple[str, str], ...]:
    last_day = limitation.last_filing_day
    facts = [("limitationEndsOn", limitation.ends_on.isoformat()),
             ("lastFilingDay", last_day.moved_to.isoformat()),
             ("aroseOn", limitation.arose_on.isoformat()), ("aroseFrom", limitation.arose_from)]
    if last_day.moved:
        facts.append(("lastFilingDayMovedBy", last_day.rule or ""))
    return tuple(facts)


def _is_positive_eur(principal: Decimal, currency: str) -> bool:
    return (
        currency == CURRENCY
        and isinstance(principal, Decimal)
        and has_at_most_cents(principal)
        and principal > 0
    )


def limitation_end(arose_on: date) -> date:
    """Last day before a claim is time-barred: 31 December of the third year after the
    year it arose (§§ 195, 199 (1) BGB). See claim_arose_on for the day it arose."""
    return date(arose_on.year + LIMITATION_YEARS, 12, 31)


def claim_arose_on(content: ClaimContent) -> tuple[date, str]:
    """The day a claim arose for § 199 (1) Nr. 1 BGB, and the field it comes from.

    A payment claim with a payment term arises when it falls due: the due date when one is
    given ("dueDate"), else the date of origin ("dateOfOrigin"). An invoice of 2025-12-15
    due 2026-01-14 arose in 2026 and is time-barred after 2029-12-31.
    """
    if content.due_date is not None:
        return content.due_date, "dueDate"
    return content.date_of_origin, "dateOfOrigin"


def last_day_to_file(limitation_ends_on: date, court_state: str) -> MovedDate:
    """The last day an application still suspends limitation: its legal end, moved to the
    next working day at the dunning court's seat when it is a Saturday, Sunday or public
    holiday there (§ 193 BGB). 31 Dec 2022 (Saturday) -> 2 Jan 2023."""
    return period_end(limitation_ends_on, court_state, RULE_BGB_193)


def limitation_of(content: ClaimContent, court_state: str) -> Limitation:
    """Limitation of a claim filed with a dunning court seated in court_state (see
    court_seat_state)."""
    arose_on, arose_from = claim_arose_on(content)
    ends_on = limitation_end(arose_on)
    return Limitation(arose_on, arose_from, ends_on, last_day_to_file(ends_on, court_state))


def check_consumer_credit(credit: ConsumerCredit) -> ConsumerCreditCheck:
    """§ 688 (2) Nr. 1 ZPO: the base rate valid at the contract date and the limit 12 points
    above it (.excluded says whether the dunning procedure is closed)."""
    try:
        base = base_rate_on(credit.contract_date)
    except NoBaseRate:
        base = None
    return ConsumerCreditCheck(credit, base)


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


def court_seat_state(court: str) -> str:
    """The federal state a dunning court sits in ("AG Coburg" -> "BY"): its public holidays
    count for the court's periods (§ 222 (2) ZPO) and for filing there (§ 193 BGB).
    Raises UnknownCourt for a court the data file does not list."""
    try:
        return _data().courts.seat_state[court]
    except KeyError:
        raise UnknownCourt(f"no dunning court {court!r} in gateway/data/court_dunning.toml") from None


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


def court_deadlines(court: CourtDates, dunning_court: str | None = None) -> CourtDeadlines:
    """Deadlines derived from the court dates the agency reported (see CourtDeadlines).

    dunning_court: the court that issued the order ("AG Coburg", as court_for_seat gives
    it); its seat's holidays move the deadlines (§ 222 (2) ZPO). None keeps the calendar
    dates (for callers that do not know the court yet). Raises UnknownCourt.
    """
    state = court_seat_state(dunning_court) if dunning_court is not None else None
    served = court.dunning_order_served_on
    stalled = court.procedure_stalled_on
    objection_end = last_day = earliest = None
    if served:
        objection_end = _court_period_end(served + OBJECTION_PERIOD, state)
        last_day = _court_period_end(_add_months(served, ENFORCEMENT_ORDER_MONTHS), state)
        # Without the court, the latest end any state's holidays give: never too early.
        safe_end = objection_end if state else latest_period_end(objection_end.original,
                                                                 RULE_ZPO_222)
        earliest = safe_end.moved_to + timedelta(days=1)
    suspension_end = None
    if stalled:
        day = _add_months(stalled, SUSPENSION_AFTER_STALL_MONTHS)
        suspension_end = MovedDate(day, day)
    return CourtDeadlines(objection_end, earliest, last_day, suspension_end, state)


def _court_period_end(day: date, state: str | None) -> MovedDate:
    return period_end(day, state, RULE_ZPO_222) if state else MovedDate(day, day)


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
    seat_state: Mapping[str, str]  # court -> the state of its seat (holidays)


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
    seat_state = {court: holiday_state(state) for court, state in courts["seat_state"].items()}
    unseated = ({*courts["by_state"].values(), courts["without_german_seat"]} - set(seat_state))
    if unseated:  # a court without a seat would have no holidays: refuse the data file
        raise DomainError(f"court_dunning.toml: no seat_state for {', '.join(sorted(unseated))}")
    return _CourtDunningData(
        courts=_Courts(
            by_state=dict(courts["by_state"]),
            without_german_seat=courts["without_german_seat"],
            seat_state=seat_state,
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
