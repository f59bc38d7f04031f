"""Use cases of the court dunning procedure (Mahnbescheid): check a claim, request it.

The rules are gateway.domain.court_dunning; this module loads what they need (the claim,
the shop's seat and catalogue overrides), and stores a request as one transaction:
claim state + history event + lawyer hand-over in the outbox + the audit row.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from gateway.domain.court_dunning import (CourtDeadlines, Limitation, Preflight, UnknownCourt,
                                          UnknownSeat, court_deadlines, court_for_seat,
                                          court_seat_state, limitation_of, preflight)
from gateway.domain.errors import Conflict, DomainError, FieldError, ValidationFailed
from gateway.domain.interest import DefaultClaims, NoBaseRate, default_claims
from gateway.domain.lifecycle import CLOSED, COURT_STAGES
from gateway.domain.model import (Actor, ActorKind, Claim, ClaimContent, CourtDates,
                                  CourtDunningInstruction)
from gateway.domain.money import CURRENCY, ZERO, format_eur
from gateway.domain.working_days import MovedDate

from .agency_port import CourtDunningAmounts, InterestAmount
from .claims import _owned, utc_now
from .court_calendar import COURT_TIME_ZONE, court_date  # noqa: F401 - callers import them here
from .unit_of_work import ConcurrentUpdate, UnitOfWork, UnitOfWorkFactory

AUDIT_TABLE = "court_dunning_requests"
REQUESTED_BY_MAX = 128  # court_dunning_requests.requested_by and claim_events.actor_id


class DunningRefused(DomainError):
    """The preflight refused the request; .preflight holds every reason and the facts."""

    def __init__(self, result: Preflight):
        self.preflight = result
        reasons = "; ".join(f"{r.code.value}: {r.message}" for r in result.reasons)
        super().__init__(f"court dunning refused: {reasons}")


def check_court_dunning(uow_factory: UnitOfWorkFactory, shop_id: str, shop_claim_id: str,
                        today: date | None = None) -> Preflight:
    """May the shop's claim go to the dunning court today? NotFound for another shop's claim."""
    today = today or court_date(utc_now())
    with uow_factory() as uow:
        claim = _owned(uow, shop_id, shop_claim_id)
        return _preflight(uow, claim, today)


def request_court_dunning(uow_factory: UnitOfWorkFactory, shop_id: str, shop_claim_id: str,
                          instruction: CourtDunningInstruction, requested_by: str,
                          note: str | None, now: datetime | None = None) -> tuple[Claim, Preflight]:
    """Instruct the court dunning procedure through the agency's lawyer.

    Runs the preflight again on the claim locked for update; when allowed, moves the claim
    to COURT_DUNNING_REQUESTED, queues HAND_OVER_TO_LAWYER and writes the audit row (who,
    when, instruction, note, the preflight as it was), all in one transaction.

    Raises ValidationFailed (requestedBy, instruction), NotFound (not the shop's claim),
    Conflict (a request is pending or the court procedure runs already) and
    DunningRefused (the preflight's reasons); each of them writes nothing.
    """
    now = now or utc_now()
    requested_by = _checked_request(instruction, requested_by)
    note = (note or "").strip() or None  # a blank note is no note
    with uow_factory() as uow:
        claim = _owned(uow, shop_id, shop_claim_id, for_update=True)
        # Before the preflight: its ALREADY_IN_COURT_DUNNING refusal would hide that this is
        # a repeated request, which the caller must tell apart from a claim that cannot go.
        if claim.state in COURT_STAGES:
            raise Conflict(f"claim {shop_claim_id!r} is already in the court procedure "
                           f"(state {claim.state.value}); a court dunning request is pending")
        result = _preflight(uow, claim, court_date(now))
        if not result.allowed:
            raise DunningRefused(result)
        details: dict[str, Any] = {
            "court": result.court, "catalogueNumber": result.catalogue_number,
            "courtFee": format_eur(result.court_fee) if result.court_fee is not None else None}
        if claim.court != CourtDates():
            # An earlier procedure went back to collection: its dates would show stale
            # deadlines, and the sync keeps a date once set, so the new ones would be lost.
            details["previousCourtDates"] = {
                name: value.isoformat() for name, value in vars(claim.court).items() if value}
            claim.update_court_dates(CourtDates())
        amounts = court_dunning_amounts(claim.content, result.default_claims, court_date(now))
        claim.request_court_dunning(instruction, Actor(ActorKind.STAFF, requested_by), now, details,
                                    amounts.as_payload())
        uow.record(AUDIT_TABLE, {
            "claim_id": claim.id, "requested_by": requested_by, "requested_at": now,
            "instruction": instruction.value, "note": note,
            "preflight": preflight_as_json(result, checked_on=court_date(now)),
        })
        try:
            uow.commit()
        except ConcurrentUpdate:
            # Another writer changed the claim between our read and write (SQLite has no
            # row lock): the other request or status won; the caller may look and retry.
            raise Conflict(f"claim {shop_claim_id!r} changed while the request was stored; "
                           "check it again") from None
        return claim, result


def court_deadlines_for(claim: Claim, court: str | None = None) -> CourtDeadlines:
    """The deadlines from the court dates the agency reported, moved by § 222 (2) ZPO at the
    seat of `court` (the dunning court); None: calendar dates (see court_deadlines)."""
    try:
        return court_deadlines(claim.court, court)
    except UnknownCourt:  # a court the data file no longer lists: the calendar dates
        return court_deadlines(claim.court)


@dataclass(frozen=True)
class ClaimLegalFacts:
    """What the law says about a claim on a day, as GetClaim shows it.

    court: the competent dunning court (the one of the claim's latest court dunning request,
    else the one for the shop's seat; None when neither is known), court_seat_state: the
    state it sits in, whose holidays count. limitation: when the claim
    becomes time-barred and the last day to file (§§ 195, 199 BGB, § 193 BGB at the court's
    seat); None without a court. deadlines: the court deadlines (§ 222 (2) ZPO at the court's
    seat). default_claims: default interest up to checked_on and the flat fee, on the whole
    principal (payments are not deducted); None for a closed claim or one without a positive
    EUR principal or whose default began before the base-rate table.
    """

    checked_on: date
    court: str | None
    court_seat_state: str | None
    limitation: Limitation | None
    deadlines: CourtDeadlines
    default_claims: DefaultClaims | None


def claim_with_legal_facts(uow_factory: UnitOfWorkFactory, shop_id: str, shop_claim_id: str,
                           today: date) -> tuple[Claim, ClaimLegalFacts]:
    """The shop's claim and its legal facts on `today` (a German calendar day)."""
    with uow_factory() as uow:
        claim = _owned(uow, shop_id, shop_claim_id)
        return claim, legal_facts(uow, claim, today)


def legal_facts(uow: UnitOfWork, claim: Claim, today: date) -> ClaimLegalFacts:
    court = uow.claims.last_dunning_court(claim.id) if claim.id is not None else None
    if court is None:
        shop = uow.shops.get(claim.shop_id)
        try:
            court = court_for_seat(shop.seat) if shop is not None else None
        except UnknownSeat:
            court = None
    try:
        state = court_seat_state(court) if court is not None else None
    except UnknownCourt:
        court = state = None
    content = claim.content
    limitation = limitation_of(content, state) if state is not None else None
    claims = None
    if claim.state not in CLOSED and _positive_eur(content):
        claims = _default_claims(content, today)
    return ClaimLegalFacts(today, court, state, limitation, court_deadlines_for(claim, court),
                           claims)


def _positive_eur(content: ClaimContent) -> bool:
    return content.currency == CURRENCY and content.principal > 0


def _default_claims(content: ClaimContent, up_to: date) -> DefaultClaims | None:
    try:
        return default_claims(content, up_to)
    except NoBaseRate:  # default began before the base-rate table: long time-barred
        return None


def court_dunning_amounts(content: ClaimContent, claims: DefaultClaims | None,
                          as_of: date) -> CourtDunningAmounts:
    """The amounts the court dunning application lists apart, up to as_of: the principal,
    the default interest and the flat fee (from `claims`, the preflight's), the dunning fees."""
    interest = None
    if claims is not None and claims.interest is not None and claims.interest.periods:
        found = claims.interest
        interest = InterestAmount(found.start, found.end, found.points_over_base,
                                  found.periods[-1].rate, found.total)
    flat_fee = claims.flat_fee if claims is not None else ZERO
    return CourtDunningAmounts(as_of, content.principal, content.dunning_fees, flat_fee, interest)


def court_dunning_amounts_of(claim: Claim, as_of: date) -> CourtDunningAmounts:
    """court_dunning_amounts reckoned anew from the claim (for a lawyer hand-over queued
    before the amounts travelled with it)."""
    return court_dunning_amounts(claim.content, _default_claims(claim.content, as_of), as_of)


def preflight_as_json(result: Preflight, checked_on: date | None = None) -> dict[str, Any]:
    """The preflight as JSON-safe data: amounts and dates as strings, codes as their names."""
    last_day = result.last_filing_day
    data: dict[str, Any] = {
        "allowed": result.allowed,
        "reasons": [{"code": r.code.value, "message": r.message} for r in result.reasons],
        "warnings": [{"code": w.code.value, "message": w.message} for w in result.warnings],
        "limitationEndsOn": result.limitation_ends_on.isoformat(),
        "lastFilingDay": moved_date_as_json(last_day),
        "claimAroseOn": result.limitation.arose_on.isoformat(),
        "claimAroseFrom": result.limitation.arose_from,
        "court": result.court,
        "courtSeatState": result.court_seat_state,
        "courtFee": format_eur(result.court_fee) if result.court_fee is not None else None,
        "catalogueNumber": result.catalogue_number,
        "catalogueLabel": result.catalogue_label,
    }
    if result.default_claims is not None:
        data["defaultClaims"] = default_claims_as_json(result.default_claims)
    if checked_on is not None:
        data["checkedOn"] = checked_on.isoformat()
    return data


def moved_date_as_json(moved: MovedDate) -> dict[str, Any]:
    data: dict[str, Any] = {"day": moved.moved_to.isoformat()}
    if moved.moved:
        data.update(calendarDay=moved.original.isoformat(), rule=moved.rule, reason=moved.reason)
    return data


def default_claims_as_json(claims: DefaultClaims) -> dict[str, Any]:
    data: dict[str, Any] = {"flatFee": format_eur(claims.flat_fee)}
    if claims.begins is not None:
        data["defaultBegins"] = {"on": claims.begins.on.isoformat(), "rule": claims.begins.rule,
                                 "reason": claims.begins.reason}
    if claims.interest is not None:
        i = claims.interest
        data["interest"] = {
            "start": i.start.isoformat(), "end": i.end.isoformat(), "rule": i.rule,
            "pointsOverBaseRate": f"{i.points_over_base:f}", "total": format_eur(i.total),
            "periods": [{"start": p.start.isoformat(), "end": p.end.isoformat(), "days": p.days,
                         "baseRate": f"{p.base_rate.percent:f}",
                         "baseRateStatus": p.base_rate.status.value, "rate": f"{p.rate:f}",
                         "amount": format_eur(p.amount)} for p in i.periods]}
    return data


def _preflight(uow: UnitOfWork, claim: Claim, today: date) -> Preflight:
    shop = uow.shops.get(claim.shop_id)
    if shop is None:  # a claim's shop is a foreign key; missing means a broken database
        raise DomainError(f"shop {claim.shop_id!r} of claim {claim.shop_claim_id!r} is missing")
    return preflight(claim, today, shop.seat, shop.catalogue_overrides)


def _checked_request(instruction: Any, requested_by: Any) -> str:
    errors = []
    if not isinstance(instruction, CourtDunningInstruction):
        known = ", ".join(i.value for i in CourtDunningInstruction)
        errors.append(FieldError("instruction", f"must be one of {known}"))
    name = requested_by.strip() if isinstance(requested_by, str) else ""
    if not name:
        errors.append(FieldError("requestedBy", "is required: the person who decided"))
    elif len(name) > REQUESTED_BY_MAX:
        errors.append(FieldError("requestedBy", f"must have at most {REQUESTED_BY_MAX} characters"))
    if errors:
        raise ValidationFailed(errors)
    return name
