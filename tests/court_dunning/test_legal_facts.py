"""What GetClaim and the preflight show of the law: moved dates with the rule that moved
them, default interest and the flat fee, consumer credit, a waiting claim's day; through the
use cases and over SOAP (zeep against the real facade), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from gateway.domain.handover import HandoverMode
from gateway.domain.model import CourtDates, CourtDunningInstruction
from gateway.service import court_dunning as dunning
from gateway.service.shops import update_shop
from tests.factories import NOW, content, wall_today
from tests.shop_api.conftest import facade  # noqa: F401 - the fixture
from tests.shop_api.test_operations import claim as soap_claim
from tests.shop_api.test_operations import code, fault_of

from .helpers import add_shop, submitted_claim


def with_court_dates(gateway, shop_id: str, dates: CourtDates, shop_claim_id="INV-2026-0001"):
    with gateway.uow() as uow:
        stored = uow.claims.get(shop_id, shop_claim_id, for_update=True)
        stored.update_court_dates(dates)
        uow.commit()


@pytest.mark.parametrize("seat, court, objection_end, moved", [
    # Served Friday 2025-10-17: the 14 days end on Friday 2025-10-31, Reformationstag, a
    # public holiday in Sachsen-Anhalt (AG Aschersleben's seat), not in Bavaria (AG Coburg):
    # § 222 (2) ZPO moves the end to Monday 2025-11-03 there only.
    ("ST", "AG Aschersleben", date(2025, 11, 3), True),
    ("BY", "AG Coburg", date(2025, 10, 31), False),
])
def test_court_deadlines_move_by_the_holidays_at_the_dunning_courts_seat(
        gateway, seat, court, objection_end, moved):
    add_shop(gateway, seat=seat)
    submitted_claim(gateway)
    with_court_dates(gateway, "shop-a", CourtDates(dunning_order_issued_on=date(2025, 10, 10),
                                                   dunning_order_served_on=date(2025, 10, 17)))
    _, facts = dunning.claim_with_legal_facts(gateway.read_uow, "shop-a", "INV-2026-0001",
                                              NOW.date())
    d = facts.deadlines
    assert (facts.court, d.court_seat_state) == (court, seat)
    assert d.objection_period_end.moved_to == objection_end
    assert d.objection_period_end.moved is moved
    if moved:
        assert d.objection_period_end.rule == "§ 222 (2) ZPO"
        assert d.objection_period_end.reason == (
            "2025-10-31 Reformationstag (public holiday in ST); 2025-11-01 Saturday; "
            "2025-11-02 Sunday")
    # § 699 (1) 2 ZPO: the enforcement order only after the objection period has ended.
    assert d.enforcement_order_earliest_on == objection_end + timedelta(days=1)
    # § 701 ZPO: 2026-04-17 (a Friday) is the last day in either state.
    assert d.enforcement_order_deadline == date(2026, 4, 17)


def test_the_court_of_the_request_counts_when_the_shop_moves_later(gateway):
    add_shop(gateway, seat="BY")
    submitted_claim(gateway)
    dunning.request_court_dunning(gateway.uow, "shop-a", "INV-2026-0001",
                                  CourtDunningInstruction.DUNNING_ONLY, "Anna Schmidt", None,
                                  now=NOW)
    update_shop(gateway.uow, "shop-a", seat="ST")
    _, facts = dunning.claim_with_legal_facts(gateway.read_uow, "shop-a", "INV-2026-0001",
                                              NOW.date())
    assert (facts.court, facts.court_seat_state) == ("AG Coburg", "BY")


def test_get_claims_facts_name_limitation_interest_and_flat_fee(gateway):
    """Due 2025-06-15: limitation ends Sunday 2028-12-31; 1 January is a holiday everywhere,
    so an application still counts on Tuesday 2029-01-02 (§ 193 BGB). Reminded 2025-07-01:
    in default from 2025-07-02 (§ 286 (1) BGB); interest to 2026-11-20 in three base-rate
    periods (2.27 -> 1.27 on 2025-07-01 is before default; 1.27 from 2026-01-01; assumed
    from 2026-07-01)."""
    add_shop(gateway, seat="BY")
    submitted_claim(gateway, date_of_origin=date(2025, 6, 1), due_date=date(2025, 6, 15),
                    date_of_last_reminder=date(2025, 7, 1))
    _, facts = dunning.claim_with_legal_facts(gateway.read_uow, "shop-a", "INV-2026-0001",
                                              NOW.date())
    last_day = facts.limitation.last_filing_day
    assert (facts.limitation.ends_on, last_day.moved_to, last_day.rule) == (
        date(2028, 12, 31), date(2029, 1, 2), "§ 193 BGB")
    interest = facts.default_claims.interest
    assert (interest.start, interest.end, interest.rule) == (date(2025, 7, 2), NOW.date(),
                                                             "§ 288 (1) BGB")
    assert [(p.start, p.base_rate.percent, p.base_rate.status.value) for p in interest.periods] \
        == [(date(2025, 7, 2), Decimal("1.27"), "CONFIRMED"),
            (date(2026, 1, 1), Decimal("1.27"), "CONFIRMED"),
            (date(2026, 7, 1), Decimal("1.27"), "ASSUMED")]
    assert facts.default_claims.flat_fee == Decimal("0.00")  # a consumer: no flat fee


def test_a_closed_claim_shows_no_interest(gateway):
    add_shop(gateway, seat="BY")
    submitted_claim(gateway)
    with gateway.uow() as uow:
        stored = uow.claims.get("shop-a", "INV-2026-0001", for_update=True)
        stored.apply_agency_status(stored.state.PAID, 10209, "paid", NOW)
        uow.commit()
    _, facts = dunning.claim_with_legal_facts(gateway.read_uow, "shop-a", "INV-2026-0001",
                                              NOW.date())
    assert facts.default_claims is None and facts.limitation is not None


# -- over SOAP ---------------------------------------------------------------------------
TODAY = wall_today()  # the facade runs on the wall clock


def test_get_claim_shows_the_moved_last_filing_day_and_the_interest(facade):  # noqa: F811
    client = facade.client()
    client.service.SubmitClaim(claim=soap_claim(
        "OLD", dateOfOrigin=date(2025, 6, 1), dueDate=date(2025, 6, 15),
        dateOfLastReminder=date(2025, 7, 1)))
    view = client.service.GetClaim("OLD")
    assert view.dunningCourt == "AG Coburg" and view.handoverReadyOn is None
    limitation = view.limitation
    assert (limitation.claimAroseOn, limitation.claimAroseFrom, limitation.endsOn,
            limitation.lastFilingDay, limitation.courtSeatState) == (
        date(2025, 6, 15), "dueDate", date(2028, 12, 31), date(2029, 1, 2), "BY")
    moved = limitation.lastFilingDayMoved
    assert (moved.calendarDay, moved.movedTo, moved.rule) == (
        date(2028, 12, 31), date(2029, 1, 2), "§ 193 BGB")
    assert moved.reason == "2028-12-31 Sunday; 2029-01-01 Neujahr (public holiday in BY)"
    claims = view.defaultClaims
    assert (claims.upTo, claims.defaultBeginsOn, claims.defaultRule) == (
        TODAY, date(2025, 7, 2), "§ 286 (1) BGB")
    interest = claims.interest
    periods = interest.periods.period
    assert (interest.startsOn, interest.endsOn, periods[0].startsOn, periods[-1].endsOn) == (
        date(2025, 7, 2), TODAY, date(2025, 7, 2), TODAY)
    assert sum(p.days for p in periods) == (TODAY - date(2025, 7, 2)).days + 1
    assert isinstance(interest.total, Decimal) and interest.total > 0
    assert abs(sum(p.amount for p in periods) - interest.total) <= Decimal("0.01") * len(periods)
    assert claims.flatFee == Decimal("0.00") and interest.pointsOverBaseRate == 5


def test_consumer_credit_goes_in_and_out_and_the_preflight_refuses_it(facade):  # noqa: F811
    client = facade.client()
    origin = TODAY - timedelta(days=60)
    credit = {"effectiveAnnualRate": Decimal("19.9000"), "contractDate": origin}
    client.service.SubmitClaim(claim=soap_claim("CREDIT", consumerCredit=credit))
    echoed = client.service.GetClaim("CREDIT").claim.consumerCredit
    assert (echoed.effectiveAnnualRate, echoed.contractDate) == (Decimal("19.9000"), origin)

    check = client.service.CheckCourtDunningOrder("CREDIT")
    found = {r.code: r for r in check.reasons.finding}
    assert "CONSUMER_CREDIT_RATE_TOO_HIGH" in found  # 19.9 % > any base rate + 12 points
    facts = {f.name: f.value for f in found["CONSUMER_CREDIT_RATE_TOO_HIGH"].facts.detail}
    assert facts["effectiveAnnualRate"] == "19.9000"
    assert Decimal(facts["limit"]) == Decimal(facts["baseRate"]) + 12
    assert check.limitation.lastFilingDay >= check.limitationEndsOn
    assert check.defaultClaims.upTo == TODAY

    # A rate with five places, and a credit for a company: refused, naming the field.
    too_exact = fault_of(client.service.SubmitClaim, claim=soap_claim(
        "X-1", consumerCredit={"effectiveAnnualRate": Decimal("9.12345"), "contractDate": origin}))
    assert code(too_exact) == "Client.ValidationError"
    assert "claim.consumerCredit.effectiveAnnualRate" in too_exact.message
    assert "9.12345" not in too_exact.message  # no request values in a fault
    company_credit = fault_of(client.service.SubmitClaim, claim=soap_claim(
        "X-2", consumerCredit=credit, debtor={"kind": "COMPANY", "company": "Bäckerei Weiß"}))
    assert "claim.consumerCredit:" in company_credit.message
    [result] = client.service.SubmitClaims(claims={"claim": [soap_claim(
        "X-3", consumerCredit={"effectiveAnnualRate": Decimal("9.9")})]})
    assert result.error.fieldErrors.fieldError[0].path == "claims[0].consumerCredit.contractDate"


def test_get_claim_shows_a_waiting_claims_day(facade):  # noqa: F811
    update_shop(facade.gateway.uow, "shop-a", handover_mode=HandoverMode.WHEN_IN_DEFAULT)
    client = facade.client()
    receipt = client.service.SubmitClaim(claim=soap_claim(
        "WAIT", dateOfLastReminder=TODAY - timedelta(days=1)))
    assert receipt.status == "WAITING_FOR_DEFAULT"
    view = client.service.GetClaim("WAIT")
    assert (view.state, view.handoverReadyOn) == ("WAITING_FOR_DEFAULT",
                                                  TODAY + timedelta(days=4))
    events = client.service.GetClaimHistory("WAIT").events.event
    assert [e.what for e in events] == ["received", "waiting_for_default"]
    assert client.service.CancelClaim("WAIT", None).status == "CANCELLED"
    never = fault_of(client.service.SubmitClaim, claim=soap_claim(
        "NEVER", dateOfLastReminder=None))
    assert code(never) == "Client.ValidationError"
    assert "claim.dateOfLastReminder" in never.message
