"""Shared fixtures: one simulator per test module on a loopback port, the real zeep adapter.

The simulator's calendar starts at SIM_START, not at the real date: the fixture claims are of
2024 and must stay in time for the agency whatever year the suite runs in.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from gateway.agencies.mediafinanz import MediafinanzAgency
from gateway.agencies.simulator import start_simulator
from gateway.domain.model import (ClaimContent, ClaimType, Debtor, DebtorKind, Salutation)
from gateway.service.agency_port import AgencyCredentials

CLIENT_ID = 1001
SIM_START = datetime(2024, 6, 3, 9, 0, tzinfo=timezone.utc)


def person_claim(shop_claim_id: str = "ORDER-1001", **changes) -> ClaimContent:
    debtor = Debtor(kind=DebtorKind.PERSON, salutation=Salutation.MS, first_name="Jürgen",
                    last_name="Weiß", street="Hauptstraße", house_number="12a",
                    postcode="49074", city="Osnabrück", country="DE",
                    email="j.weiss@example.org", phone="+49 541 123456",
                    date_of_birth=date(1980, 2, 29), customer_id="K-77")
    fields = dict(shop_claim_id=shop_claim_id, claim_type=ClaimType.GOODS_SOLD,
                  reason="2 x Schuhe; 1 x Tasche", principal=Decimal("119.90"),
                  dunning_fees=Decimal("5.00"), date_of_origin=date(2024, 3, 1), due_date=None,
                  date_of_last_reminder=date(2024, 4, 2), note="Kunde zweimal gemahnt",
                  counter_performance_rendered=True, debtor=debtor)
    fields.update(changes)
    return ClaimContent(**fields)


@pytest.fixture(scope="module")
def sim():
    handle = start_simulator(seed=7, start=SIM_START)
    yield handle
    handle.stop()


@pytest.fixture
def fresh_sim(sim):
    sim.reset()
    return sim


@pytest.fixture(scope="module")
def agency(sim):
    client = MediafinanzAgency(sim.url, sim.application_key, timeout_s=2.0)
    yield client
    client.close()


@pytest.fixture(scope="module")
def creds(sim):
    return AgencyCredentials(str(CLIENT_ID), sim.clients[CLIENT_ID])
