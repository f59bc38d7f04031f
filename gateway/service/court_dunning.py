"""Use cases of the court dunning procedure (Mahnbescheid): check a claim, request it.

The rules are gateway.domain.court_dunning; this module loads what they need (the claim,
the shop's seat and catalogue overrides), and stores a request as one transaction:
claim state + history event + lawyer hand-over in the outbox + the audit row.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from gateway.domain.court_dunning import CourtDeadlines, Preflight, court_deadlines, preflight
from gateway.domain.errors import Conflict, DomainError, FieldError, ValidationFailed
from gateway.domain.lifecycle import COURT_STAGES
from gateway.domain.model import Actor, ActorKind, Claim, CourtDates, CourtDunningInstruction
from gateway.domain.money import format_eur

from .claims import _owned, utc_now
from .unit_of_work import ConcurrentUpdate, UnitOfWork, UnitOfWorkFactory

AUDIT_TABLE = "court_dunning_requests"
REQUESTED_BY_MAX = 128  # court_dunning_requests.requested_by and claim_events.actor_id
# Limitation and court deadlines run on German calendar days: at 00:30 on 1 January in
# Germany it is still 31 December in UTC, and a time-barred claim would pass.
COURT_TIME_ZONE = ZoneInfo("Europe/Berlin")


class DunningRefused(DomainError):
    """The preflight refused the request; .preflight holds every reason and the facts."""

    def __init__(self, result: Preflight):
        self.preflight = result
        reasons = "; ".join(f"{r.code.value}: {r.message}" for r in result.reasons)
        super().__init__(f"court dunning refused: {reasons}")


def court_date(at: datetime) -> date:
    """The calendar day in Germany at a moment (aware datetimes; naive ones count as UTC)."""
    if at.tzinfo is None:
        return at.date()
    return at.astimezone(COURT_TIME_ZONE).date()


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
        claim.request_court_dunning(instruction, Actor(ActorKind.STAFF, requested_by), now, details)
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


def court_deadlines_for(claim: Claim) -> CourtDeadlines:
    """The deadlines GetClaim shows, from the court dates the agency reported."""
    return court_deadlines(claim.court)


def preflight_as_json(result: Preflight, checked_on: date | None = None) -> dict[str, Any]:
    """The preflight as JSON-safe data: amounts and dates as strings, codes as their names."""
    data: dict[str, Any] = {
        "allowed": result.allowed,
        "reasons": [{"code": r.code.value, "message": r.message} for r in result.reasons],
        "warnings": [{"code": w.code.value, "message": w.message} for w in result.warnings],
        "limitationEndsOn": result.limitation_ends_on.isoformat(),
        "court": result.court,
        "courtFee": format_eur(result.court_fee) if result.court_fee is not None else None,
        "catalogueNumber": result.catalogue_number,
        "catalogueLabel": result.catalogue_label,
    }
    if checked_on is not None:
        data["checkedOn"] = checked_on.isoformat()
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
