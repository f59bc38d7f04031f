"""The court dunning request carries principal, interest and ancillary claims apart
(§ 690 (1) Nr. 3 ZPO): reckoned on the request day, kept in the outbox row (amounts only, no
personal data), handed to the agency by the worker, in both agencies' mappings."""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from gateway.dispatch import Dispatcher
from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import SYSTEM, CourtDunningInstruction
from gateway.service import claims as uc
from gateway.service import court_dunning as dunning
from gateway.service.agency_port import CourtDunningAmounts, InterestAmount
from gateway.service.shops import add_shop
from gateway.store.tables import outbox
from mappings import mediafinanz, mediafinanz_rest
from mappings.mediafinanz_rest import jsonwire
from tests.agency_in_memory import InMemoryAgency, InMemoryRoutes
from tests.dispatch.conftest import FAST_RETRY, Running, outbox_rows, wait_for
from tests.factories import NOW, company, content

CLIENT = ("4711", "key-of-client-4711")
BUSINESS = CourtDunningAmounts(
    date(2026, 11, 20), Decimal("1499.99"), Decimal("7.50"), Decimal("40.00"),
    InterestAmount(date(2026, 10, 16), date(2026, 11, 20), Decimal("9"), Decimal("10.27"),
                   Decimal("15.19")))
CONSUMER_NO_DEFAULT = CourtDunningAmounts(date(2026, 11, 20), Decimal("149.90"),
                                          Decimal("0.00"))


@pytest.mark.parametrize("amounts", [BUSINESS, CONSUMER_NO_DEFAULT], ids=["business", "none"])
def test_every_form_gives_the_amounts_back_exactly(amounts):
    # The outbox payload is JSON: the same amounts after a trip through the database's JSON.
    assert CourtDunningAmounts.from_payload(json.loads(json.dumps(amounts.as_payload()))) \
        == amounts
    assert mediafinanz.parse_amounts(mediafinanz.amounts_argument(amounts)) == amounts
    body = jsonwire.loads(jsonwire.dumps(mediafinanz_rest.lawyer_body(
        CourtDunningInstruction.DUNNING_ONLY, amounts)))
    assert mediafinanz_rest.parse_lawyer(body) == (1, amounts)


def test_a_rest_lawyer_body_without_amounts_still_reads():
    assert mediafinanz_rest.parse_lawyer({"Instruction": 2}) == (2, None)
    with pytest.raises(mediafinanz_rest.BodyError, match="PrincipalClaim.Value: number"):
        mediafinanz_rest.parse_lawyer({"Instruction": 1, "PrincipalClaim": {"Value": "1"},
                                       "CalculationDate": "2026-11-20"})


def test_a_business_debtor_owes_interest_at_nine_points_and_the_flat_fee():
    """§ 288 (2) BGB: base rate + 9 points without a consumer; § 288 (5): 40 EUR flat fee.
    Due 2026-09-15, not paid within 30 days (§ 286 (3): a business needs no notice, and this
    is before the reminder of 2026-10-20 would count): in default from 2026-10-16; 36 days
    at 1.27 + 9 = 10.27 % on 1,499.99 = 15.19 (1,499.99 x 10.27 % x 36 / 365 = 15.1940)."""
    claim = content(debtor=company(), principal=Decimal("1499.99"), dunning_fees=Decimal("7.50"))
    amounts = dunning.court_dunning_amounts(claim, dunning._default_claims(claim, NOW.date()),
                                            NOW.date())
    assert amounts == BUSINESS
    assert amounts.total == Decimal("1562.68")  # 1,499.99 + 15.19 + 40.00 + 7.50


@pytest.fixture
def requested(gateway):
    """shop-a's claim, handed over (file number) and then requested for court dunning."""
    add_shop(gateway.uow, "shop-a", password="correct horse battery", seat="BY",
             agency_client_id=CLIENT[0], agency_client_key=CLIENT[1])
    agency = InMemoryAgency({CLIENT[0]: CLIENT[1]})
    uc.submit_claim(gateway.uow, "shop-a", content(debtor=company()), now=NOW)
    run_worker(gateway, agency, 1)
    dunning.request_court_dunning(gateway.uow, "shop-a", "INV-2026-0001",
                                  CourtDunningInstruction.DUNNING_ONLY, "Anna Schmidt", None,
                                  now=NOW)
    return agency


def run_worker(gateway, agency, rows_done: int) -> None:
    with Running(Dispatcher(gateway, InMemoryRoutes(agency), concurrency=2, poll_s=0.02,
                            policy=FAST_RETRY, clock=lambda: NOW + timedelta(minutes=5))):
        wait_for(lambda: sum(r.state == "done" for r in outbox_rows(gateway)) == rows_done,
                 10.0, f"{rows_done} rows delivered")


def test_the_worker_hands_over_what_the_request_reckoned(gateway, requested):
    agency = requested
    [row] = [r for r in outbox_rows(gateway) if r.kind == "HAND_OVER_TO_LAWYER"]
    # No personal data in the row: instruction and amounts (dates, decimals) only.
    assert set(row.payload) == {"instruction", "amounts"}
    text = json.dumps(row.payload, ensure_ascii=False)
    debtor = company()
    for personal in (debtor.company, debtor.street, debtor.postcode, debtor.city, debtor.email,
                     debtor.care_of, "INV-2026-0001"):
        assert personal not in text
    run_worker(gateway, agency, 2)
    claim = uc.get_claim(gateway.read_uow, "shop-a", "INV-2026-0001")
    assert claim.state is ClaimState.COURT_DUNNING_REQUESTED
    handed = agency.court_amounts[claim.agency_file_number]
    assert handed == CourtDunningAmounts.from_payload(row.payload["amounts"])
    assert (handed.as_of, handed.flat_fee, handed.interest.points_over_base_rate) == (
        NOW.date(), Decimal("40.00"), Decimal("9"))


def test_a_hand_over_queued_before_the_amounts_travelled_gets_them_reckoned(gateway, requested):
    """A row written by the gateway before this change has only the instruction: the worker
    reckons the amounts up to the day the row was queued."""
    agency = requested
    with gateway.engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.kind == "HAND_OVER_TO_LAWYER")
                     .values(payload={"instruction": "DUNNING_ONLY"}))
    run_worker(gateway, agency, 2)
    claim = uc.get_claim(gateway.read_uow, "shop-a", "INV-2026-0001")
    handed = agency.court_amounts[claim.agency_file_number]
    expected = dunning.court_dunning_amounts_of(claim, NOW.date())
    assert handed == expected and handed.interest is not None and handed.flat_fee


def test_the_domain_request_without_amounts_keeps_the_old_payload():
    from gateway.domain.model import Claim

    claim = Claim(shop_id="s", content=content(), state=ClaimState.SUBMITTED)
    claim.request_court_dunning(CourtDunningInstruction.DUNNING_ONLY, SYSTEM, NOW)
    [message] = claim.pending_messages
    assert message.payload == {"instruction": "DUNNING_ONLY"}
