"""`gateway worker --metrics-port` and `gateway sync --metrics-file`: processes without the
facade still show what they do (deliveries by agency; outbox and sync figures)."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import requests

from tests.integration.test_cli import run

from .conftest import all_done, submit, wait_for


def test_a_worker_process_serves_its_metrics(gateway, shop, fresh_sim, db_url, tmp_path):
    submit(gateway, 2)
    env = {**os.environ, "GATEWAY_DATABASE_URL": db_url, "GATEWAY_AGENCY_URL": fresh_sim.url,
           "GATEWAY_LOG_FORMAT": "json"}
    err_path = tmp_path / "worker.err"
    with open(err_path, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "gateway", "worker", "--metrics-port",
                                 "0"], env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        url = wait_for(lambda: re.search(r"metrics on (http://\S+/metrics)", err_path.read_text()),
                       30.0, "the metrics address").group(1)
        wait_for(lambda: all_done(gateway, 2), 20.0, "both delivered")
        text = wait_for(lambda: _scrape_when(url, 'outcome="delivered"} 2'), 10.0, "the count")
        assert ('gateway_outbox_deliveries_total{agency="mediafinanz",kind="SUBMIT_CLAIM",'
                'outcome="delivered"} 2') in text
        assert 'gateway_outbox_rows{state="done"} 2' in text
        assert "gateway_outbox_delivery_seconds_bucket" in text
    finally:
        proc.terminate()
        proc.wait(30)


def _scrape_when(url: str, needle: str) -> str | None:
    text = requests.get(url, timeout=5).text
    return text if needle in text else None


def test_a_sync_run_writes_its_metrics_file(gateway, shop, fresh_sim, db_url, tmp_path):
    path = tmp_path / "sync.prom"
    result = run("sync", "--metrics-file", str(path), db_url=db_url,
                 env={"GATEWAY_AGENCY_URL": fresh_sim.url})
    assert result.returncode == 0, result.stderr
    text = path.read_text()
    assert 'gateway_sync_last_run_exit_code{mode="changes"} 0' in text
    assert 'gateway_sync_last_run_claims_checked{mode="changes"} 0' in text
