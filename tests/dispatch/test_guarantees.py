"""The delivery guarantees: crashes, outages, lost answers and rival workers lose nothing
and send nothing twice (the agency's dedupe on the invoice absorbs repeated submits)."""
from __future__ import annotations

import os
import random
import signal
import time

import pytest

from gateway.app import AgencyRegistry
from gateway.domain.lifecycle import ClaimState
from gateway.service import claims as claim_service

from .conftest import (SHOP, Outage, Running, all_done, at_agency, dispatcher, states, submit,
                       wait_for, worker_process)

needs_postgres = pytest.mark.skipif(not os.environ.get("GATEWAY_TEST_POSTGRES_URL"),
                                    reason="GATEWAY_TEST_POSTGRES_URL is not set")


def assert_exactly_once(gw, sim, invoices):
    """Every invoice at the agency once, with the file number the claim recorded."""
    held = at_agency(gw, sim)
    assert sorted(held) == sorted(invoices) and len(sim.claims()) == len(invoices)
    stats = sim.stats()
    assert stats["claims"] == len(invoices)
    # Every repeated newClaim was answered from the dedupe, never a second file.
    assert stats["calls"]["newClaim"] == len(invoices) + stats["duplicates"]
    for inv in invoices:
        claim = claim_service.get_claim(gw.read_uow, SHOP, inv)
        assert claim.state is ClaimState.SUBMITTED
        assert claim.agency_file_number == held[inv]
    return stats


def test_lost_response_creates_no_duplicate(gateway, shop, fresh_sim, agencies):
    fresh_sim.inject("lost_response", "newClaim", count=1)
    invoices = submit(gateway, 1)
    with Running(dispatcher(gateway, agencies)):
        wait_for(lambda: all_done(gateway, 1), 10.0, "delivered")
    stats = assert_exactly_once(gateway, fresh_sim, invoices)
    assert stats["faults"] == {"lost_response": 1}
    assert stats["calls"]["newClaim"] == 2 and stats["duplicates"] == 1


def test_sqlite_runs_one_worker_at_a_time(gateway, shop, fresh_sim, agencies):
    if not gateway.settings.is_sqlite:
        pytest.skip("PostgreSQL runs several workers")
    invoices = submit(gateway, 30)
    first, second = dispatcher(gateway, agencies), dispatcher(gateway, agencies)
    with Running(first):
        wait_for(lambda: first.delivered, 5.0, "the first worker delivering")
        with Running(second):
            wait_for(lambda: all_done(gateway, 30), 10.0, "delivered")
    assert second.delivered == 0 and first.delivered == 30
    assert_exactly_once(gateway, fresh_sim, invoices)


@needs_postgres
def test_two_workers_never_double_send(gateway, shop, fresh_sim, agencies):
    if gateway.settings.is_sqlite:
        pytest.skip("SQLite runs one worker at a time")
    invoices = submit(gateway, 200)
    fresh_sim.app.latency_s = 0.005  # calls overlap, so both workers lease at once
    try:
        a, b = dispatcher(gateway, agencies), dispatcher(gateway, agencies)
        with Running(a), Running(b):
            wait_for(lambda: all_done(gateway, 200), 30.0, "delivered")
    finally:
        fresh_sim.app.latency_s = 0.0
    stats = assert_exactly_once(gateway, fresh_sim, invoices)
    assert stats["duplicates"] == 0 and stats["calls"]["newClaim"] == 200
    assert a.delivered > 0 and b.delivered > 0 and a.delivered + b.delivered == 200


@needs_postgres
@pytest.mark.slow
def test_sigkill_mid_drain_loses_nothing_and_sends_nothing_twice(gateway, shop, fresh_sim,
                                                                  tmp_path, db_url):
    if gateway.settings.is_sqlite:
        pytest.skip("the crash test runs on PostgreSQL")
    invoices = submit(gateway, 500)
    fresh_sim.app.latency_s = 0.02  # a drain of several seconds, with calls in flight
    rng = random.Random(5)
    log = tmp_path / "worker.log"
    kills = 0
    try:
        for _ in range(3):
            before = states(gateway).get("done", 0)
            proc = worker_process(db_url, fresh_sim.url, concurrency=8, lease_s=2.0, log_path=log)
            wait_for(lambda: states(gateway).get("done", 0) > before + 20, 30.0,
                     "the worker making progress", interval_s=0.02)
            time.sleep(rng.uniform(0.05, 0.4))
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            kills += 1
            assert states(gateway).get("done", 0) < 500, "drained before the kill"
        proc = worker_process(db_url, fresh_sim.url, concurrency=8, lease_s=2.0, log_path=log)
        try:
            wait_for(lambda: all_done(gateway, 500), 90.0, "the drain finished", interval_s=0.2)
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(20) == 0
    finally:
        fresh_sim.app.latency_s = 0.0
    assert kills == 3
    assert states(gateway) == {"done": 500}
    assert_exactly_once(gateway, fresh_sim, invoices)


@pytest.mark.slow
def test_agency_outage_of_30_seconds_ends_delivered_and_nothing_dead(gateway, shop, sim):
    sim.reset()
    outage = Outage(sim.port)
    # The default connection's endpoint is the relay in front of the simulator.
    agencies = AgencyRegistry(gateway.settings.replace(agency_url=outage.url,
                                                       agency_timeout_s=2.0))
    try:
        first = submit(gateway, 20, "BEFORE")
        with Running(dispatcher(gateway, agencies, concurrency=4)):
            wait_for(lambda: all_done(gateway, 20), 10.0, "the first claims delivered")
            outage.down()
            during = submit(gateway, 30, "DURING")
            time.sleep(30)
            assert states(gateway) == {"done": 20, "pending": 30}  # still trying, none dead
            outage.up()
            wait_for(lambda: all_done(gateway, 50), 20.0, "everything delivered after the outage")
    finally:
        outage.down()
        agencies.close()
    assert states(gateway) == {"done": 50}
    assert_exactly_once(gateway, sim, first + during)


def test_a_killed_workers_rows_are_taken_over_within_one_short_lease(gateway, shop, fresh_sim,
                                                                     agencies, db_url):
    """The heartbeat keeps a live worker's rows however long its calls take; once it is
    killed, its rows (and on SQLite its single-worker lock) come free one lease later."""
    from sqlalchemy import func, select

    from gateway.store.tables import outbox

    lease = 3.0
    invoices = submit(gateway, 8)
    fresh_sim.inject("slow", "newClaim", count=8, delay_s=60)  # stored, never answered in time
    proc = worker_process(db_url, fresh_sim.url, concurrency=8, lease_s=lease,
                          agency_timeout_s=60)

    def leased() -> int:
        with gateway.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(outbox)
                                .where(outbox.c.leased_by.is_not(None))).scalar_one()
    try:
        wait_for(lambda: leased() == 8, 30.0, "the worker holding every row")
        time.sleep(lease * 1.5)  # past one lease: the heartbeat keeps them
        assert leased() == 8 and states(gateway) == {"pending": 8}
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    killed_at = time.monotonic()
    with Running(dispatcher(gateway, agencies, lease_s=lease)):
        wait_for(lambda: all_done(gateway, 8), lease + 15.0, "the rows taken over")
        took = time.monotonic() - killed_at
    assert took < lease + 3.0, f"took {took:.1f} s"
    assert_exactly_once(gateway, fresh_sim, invoices)
