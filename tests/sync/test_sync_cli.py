"""`gateway sync` as cron runs it: a real process, exit codes, report file, kill -9 and resume."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from gateway.agencies.simulator import start_simulator
from gateway.store import tables
from gateway.sync import FULL_CHECKPOINT
from gateway.sync.store import load_checkpoint
from tests.factories import NOW
from tests.sync.helpers import (CLIENTS, add_shops, claim_ids, count, event_count, seed,
                                status_events)


def command(db_url: str, agency_url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "gateway", "sync", *args]


def environment(db_url: str, agency_url: str) -> dict[str, str]:
    return {**os.environ, "GATEWAY_DATABASE_URL": db_url, "GATEWAY_AGENCY_URL": agency_url,
            "GATEWAY_LOG_FORMAT": "json", "GATEWAY_AGENCY_TIMEOUT_S": "2"}


def run(db_url: str, agency_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(command(db_url, agency_url, *args), capture_output=True, text=True,
                          env=environment(db_url, agency_url), timeout=120)


@pytest.mark.parametrize("mode", [(), ("--full",)], ids=["changes", "full"])
def test_agency_down_exits_2_with_one_line_and_changes_nothing(gateway, db_url, sim, mode):
    add_shops(gateway, "shop-a")
    seed(gateway, sim, "shop-a", 2)
    sim.advance(2)
    before = event_count(gateway)

    result = run(db_url, "http://127.0.0.1:9/mediafinanz", *mode)  # nothing listens there

    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: agency unreachable") and "Traceback" not in result.stderr
    assert event_count(gateway) == before
    assert count(gateway, tables.applied_agency_changes) == 0
    assert load_checkpoint(gateway.engine, FULL_CHECKPOINT) is None


def test_failed_claim_is_named_in_the_report_and_exit_is_1(gateway, db_url, sim, tmp_path):
    add_shops(gateway)
    made = seed(gateway, sim, "shop-b", 2)
    with gateway.uow() as uow:
        claim = uow.claims.get("shop-b", made[0][0], for_update=True)
        claim.agency_file_number = "99999999999"  # the agency never gave out this number
        uow.commit()
    sim.advance(2)
    report_file = tmp_path / "report.json"

    result = run(db_url, sim.url, "--full", "--report", str(report_file))

    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: 1 claim(s) failed; see the summary and {report_file}")
    report = json.loads(report_file.read_text())
    assert [(f["shop_id"], f["shop_claim_id"]) for f in report["failures"]] == [
        ("shop-b", made[0][0])]
    assert report["changed_by_state"] == {"IN_COLLECTION": 1} and report["exit_code"] == 1
    assert "claims_checked" in report and report["correlation_id"]
    everything = result.stdout + result.stderr + report_file.read_text()
    for personal in ("Müller", "Große Straße", "j.mueller@example.de", "1980-02-29"):
        assert personal not in everything


def test_full_sync_killed_mid_run_resumes_from_its_checkpoint(gateway, db_url, tmp_path):
    slow = start_simulator(seed=3, clients=CLIENTS, latency_ms=40, start=NOW)
    try:
        add_shops(gateway, "shop-a")
        made = seed(gateway, slow, "shop-a", 80)
        slow.advance(2)
        ids = claim_ids(gateway)
        proc = subprocess.Popen(command(db_url, slow.url, "--full", "--concurrency", "2",
                                        "--max-rps", "0"),
                                env=environment(db_url, slow.url), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            saved = None
            while saved is None and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.05)
                saved = load_checkpoint(gateway.engine, FULL_CHECKPOINT)
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(10)
        assert saved is not None, "the run finished before it saved a checkpoint"
        mark = load_checkpoint(gateway.engine, FULL_CHECKPOINT)["after_id"]
        assert ids[0] <= mark < ids[-1]
        report_file = tmp_path / "resumed.json"

        result = run(db_url, slow.url, "--full", "--concurrency", "4", "--max-rps", "0",
                     "--report", str(report_file))

        assert result.returncode == 0, result.stderr
        report = json.loads(report_file.read_text())
        assert report["resumed_after_claim_id"] == mark
        assert report["claims_checked"] == sum(1 for i in ids if i > mark)
        assert load_checkpoint(gateway.engine, FULL_CHECKPOINT) is None
        # Every claim reconciled, each exactly once, whichever run did it.
        assert all(status_events(gateway, "shop-a", c) == ["IN_COLLECTION"] for c, _ in made)
    finally:
        slow.stop()
