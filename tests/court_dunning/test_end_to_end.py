"""A claim from submission through the agency's failed collection to a court dunning order,
its service and the enforcement order, with the deadlines read back from the database.

Real parts only: the database (SQLite and PostgreSQL), the service use cases, the zeep
adapter and the simulator over HTTP. The outbox dispatcher and the status sync are not
part of this test: it makes their agency calls itself, in their order.
"""
from __future__ import annotations

from datetime import date, datetime

import pytest

from gateway.agencies.mediafinanz.client import MediafinanzAgency
from gateway.agencies.simulator import DEFAULT_APPLICATION_KEY, DEFAULT_CLIENTS, start_simulator
from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import CourtDunningInstruction, MessageKind
from gateway.service import claims as claim_service
from gateway.service import court_dunning as uc
from gateway.service.agency_port import AgencyCredentials, CourtDunningAmounts
from tests.factories import content

from .helpers import ACCOUNT, add_shop, outbox_rows

# With seed 4 the simulator's first file number gets the court story "issued, served,
# enforcement order requested and issued, title" (no objection, no failed service).
SEED = 4
S = ClaimState


@pytest.fixture(scope="module")
def sim():
    handle = start_simulator(seed=SEED, speed=0.0)
    yield handle
    handle.stop()


@pytest.fixture
def agency(sim):
    sim.reset()  # the same first file number, and so the same story, for each database
    client = MediafinanzAgency(sim.url, DEFAULT_APPLICATION_KEY)
    yield client
    client.close()


CREDS = AgencyCredentials("1001", DEFAULT_CLIENTS[1001])


def sim_now(sim) -> datetime:
    return sim.simulator.clock.now()


def sync(gateway, agency, sim) -> list[ClaimState]:
    """What the status sync does: apply the agency's changes feed, then commit the batch."""
    states = []
    batch = agency.get_status_changes(CREDS)
    for status in batch.changes:
        with gateway.uow() as uow:
            claim = uow.claims.get_by_file_number(ACCOUNT, status.file_number,
                                                  for_update=True)
            claim_service.apply_agency_status(claim, status, sim_now(sim))
            uow.commit()
            states.append(claim.state)
    if batch.transaction_id:
        agency.commit_changes(CREDS, batch.transaction_id)
    return states


def test_submit_fail_collection_request_court_dunning_and_walk_the_court_stages(
        gateway, agency, sim):
    add_shop(gateway, seat="BY")
    today = sim_now(sim).date()
    claim = claim_service.submit_claim(
        gateway.uow, "shop-a",
        content("ORDER-4711", date_of_origin=date(today.year - 1, 3, 1), due_date=None,
                date_of_last_reminder=None),
        now=sim_now(sim)).claim

    # The dispatcher's SUBMIT_CLAIM: the agency takes the claim and answers its file number.
    number = agency.submit_claim(CREDS, claim)
    with gateway.uow() as uow:
        loaded = uow.claims.get("shop-a", "ORDER-4711", for_update=True)
        loaded.mark_submitted(number, sim_now(sim))
        uow.commit()

    # Out-of-court collection fails; before that, the preflight refuses nothing but the
    # court fee and court are already known.
    sim.force_status(number, 10227)
    assert sync(gateway, agency, sim)[-1] is S.UNCOLLECTIBLE
    check = uc.check_court_dunning(gateway.read_uow, "shop-a", "ORDER-4711", sim_now(sim).date())
    assert check.allowed and check.court == "AG Coburg"

    stored, result = uc.request_court_dunning(
        gateway.uow, "shop-a", "ORDER-4711", CourtDunningInstruction.DUNNING_ONLY,
        "Anna Schmidt", "nach erfolglosem Inkasso", now=sim_now(sim))
    assert result.allowed and stored.state is S.COURT_DUNNING_REQUESTED

    # The dispatcher's HAND_OVER_TO_LAWYER, with the instruction and the amounts the
    # application lists apart (§ 690 (1) Nr. 3 ZPO) from the outbox row.
    [hand_over] = [row for row in outbox_rows(gateway)
                   if row.kind == MessageKind.HAND_OVER_TO_LAWYER.value]
    amounts = CourtDunningAmounts.from_payload(hand_over.payload["amounts"])
    agency.hand_over_to_lawyer(CREDS, number,
                               CourtDunningInstruction(hand_over.payload["instruction"]), amounts)
    # The agency has what was reckoned on the request day: the principal, and interest from
    # default on (no reminder: 30 days after the origin, § 286 (3) BGB is not for consumers
    # without notice, so none here), no flat fee against a consumer.
    assert sim.simulator.court_amounts(number) == amounts
    assert (amounts.principal, amounts.dunning_fees, amounts.as_of) == (
        claim.content.principal, claim.content.dunning_fees, sim_now(sim).date())
    assert amounts.interest is None and amounts.flat_fee == 0

    # The agency's court stages over 200 simulated days, synced every 5 days as they come.
    walked = []
    for _ in range(40):
        sim.advance(days=5)
        walked += sync(gateway, agency, sim)
    changes = [s for before, s in zip([S.COURT_DUNNING_REQUESTED] + walked, walked) if s != before]
    assert changes == [S.DUNNING_ORDER_ISSUED, S.DUNNING_ORDER_SERVED,
                       S.ENFORCEMENT_ORDER_REQUESTED, S.ENFORCEMENT_ORDER_ISSUED,
                       S.TITLE_OBTAINED]

    # The dates come from the agency's statusDetails ("Zustellung am YYYY-MM-DD").
    journal = {entry.subject: entry.details for entry in agency.get_history(CREDS, number)}
    served_on = date.fromisoformat(journal["Mahnbescheid zugestellt"].rsplit(" ", 1)[-1])
    issued_on = date.fromisoformat(journal["Mahnbescheid erlassen"].rsplit(" ", 1)[-1])
    enforcement_on = date.fromisoformat(
        journal["Vollstreckungsbescheid erlassen"].rsplit(" ", 1)[-1])
    assert issued_on < served_on < enforcement_on

    final = claim_service.get_claim(gateway.read_uow, "shop-a", "ORDER-4711")
    assert final.state is S.TITLE_OBTAINED
    assert (final.court.dunning_order_issued_on, final.court.dunning_order_served_on,
            final.court.enforcement_order_issued_on) == (issued_on, served_on, enforcement_on)
    # The deadlines count at the dunning court's seat: the court of the request (AG Coburg,
    # Bavaria), whose Saturdays, Sundays and holidays move a period's end (§ 222 (2) ZPO).
    _, facts = uc.claim_with_legal_facts(gateway.read_uow, "shop-a", "ORDER-4711",
                                         sim_now(sim).date())
    deadlines = facts.deadlines
    assert (facts.court, deadlines.court_seat_state) == ("AG Coburg", "BY")
    objection_end = deadlines.objection_period_end
    assert objection_end.original == date.fromordinal(served_on.toordinal() + 14)
    assert objection_end.moved_to == _next_bavarian_working_day(objection_end.original)
    assert deadlines.enforcement_order_earliest_on == date.fromordinal(
        objection_end.moved_to.toordinal() + 1)  # § 699 (1) 2 ZPO: after the period
    six_months_later = _six_months_after(served_on)
    assert deadlines.enforcement_order_last_day.original == six_months_later
    assert deadlines.enforcement_order_deadline == _next_bavarian_working_day(six_months_later)
    assert deadlines.limitation_suspension_ends_on is None  # the procedure never stalled
    # The enforcement order came after the objection period and before the MB lapsed.
    assert deadlines.objection_period_ends_on < enforcement_on <= deadlines.enforcement_order_deadline


def _next_bavarian_working_day(day: date) -> date:
    """The day itself or the next Monday to Friday that is no public holiday in Bavaria,
    by the holidays package directly (not through the domain's calendar)."""
    import holidays

    bavarian = holidays.country_holidays("DE", subdiv="BY", years=range(day.year, day.year + 2))
    while day.weekday() >= 5 or day in bavarian:
        day = date.fromordinal(day.toordinal() + 1)
    return day


def _six_months_after(day: date) -> date:
    """Written out independently of the domain's month arithmetic (§ 188 (3) BGB)."""
    month = day.month + 6
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")
