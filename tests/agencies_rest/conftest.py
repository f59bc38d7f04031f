"""Shared fixtures: one REST simulator per test module on a loopback port, the real adapter.

The simulator's calendar starts at SIM_START, not at the real date: the claims (built like
tests/agencies' person_claim, dated in 2024) must stay in time for the agency whatever year
the suite runs in.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from gateway.agencies.mediafinanz_rest import MediafinanzRestAgency
from gateway.agencies.simulator import start_rest_simulator
from gateway.domain.model import Claim
from gateway.service.agency_port import AgencyCredentials
from tests.agencies.conftest import person_claim

SIM_START = datetime(2024, 6, 3, 9, 0, tzinfo=timezone.utc)


def claim(shop_claim_id: str = "ORDER-1001", *, reference: str | None = None,
          **changes) -> Claim:
    return Claim(shop_id="shop-1", content=person_claim(shop_claim_id, **changes),
                 agency_reference=reference)


def credentials_of(sim, uuid: str | None = None) -> AgencyCredentials:
    uuid = uuid or sim.uuid
    client = sim.clients[uuid]
    return AgencyCredentials(uuid, client.password, user=client.user)


@pytest.fixture(scope="module")
def sim():
    handle = start_rest_simulator(seed=7, start=SIM_START)
    yield handle
    handle.stop()


@pytest.fixture
def fresh_sim(sim):
    sim.reset()
    return sim


@pytest.fixture(scope="module")
def agency(sim):
    client = MediafinanzRestAgency(sim.url, timeout_s=2.0)
    yield client
    client.close()


@pytest.fixture(scope="module")
def creds(sim):
    return credentials_of(sim)
