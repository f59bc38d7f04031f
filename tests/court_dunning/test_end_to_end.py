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
from gateway.service.agency_port import AgencyCredentials
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

    # The dispatcher's HAND_OVER_TO_LAWYER, with the instruction from the outbox row.
    [hand_over] = [row for row in outbox_rows(gateway)
                   if row.kind == MessageKind.HAND_OVER_TO_LAWYER.value]
    agency.hand_over_to_lawyer(CREDS, number,
                               CourtDunningInstruction(hand_over.payload["instruction"]))

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
    deadlines = uc.court_deadlines_for(final)
    assert (deadlines.objection_period_ends_on - served_on).days == 14
    six_months_later = _six_months_after(served_on)
    assert deadlines.enforcement_order_deadline == six_months_later
    assert deadlines.limitation_suspension_ends_on is None  # the procedure never stalled
    # The enforcement order came after the objection period and before the MB lapsed.
    assert deadlines.objection_period_ends_on < enforcement_on <= deadlines.enforcement_order_deadline


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
