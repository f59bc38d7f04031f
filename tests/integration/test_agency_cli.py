"""`gateway connections ...`, `gateway accounts ...` and `gateway shops ... --account` as an
operator runs them: real processes on a real database, answers in one line each."""
from __future__ import annotations

import pytest

from gateway.agencies.simulator import start_simulator
from gateway.agencies.simulator.core import DEFAULT_CLIENTS
from tests.integration.test_cli import run


@pytest.fixture(scope="module")
def sim():
    with start_simulator() as handle:
        yield handle


def test_connections_accounts_and_shops_on_them(db_url, sim):
    def gw(*args, **env):
        return run(*args, db_url=db_url, env=env)

    added = gw("connections", "add", "mf-test", "--kind", "mediafinanz-soap", "--url", sim.url)
    assert added.returncode == 0 and added.stdout.startswith("connection mf-test added")
    refused = gw("connections", "add", "mf-rest", "--kind", "mediafinanz-rest")
    assert refused.returncode == 1 and refused.stderr.strip() == (
        "error: a mediafinanz-rest connection needs its endpoint URL (--url)")
    unknown = gw("connections", "add", "x", "--kind", "fax-machine", "--url", sim.url)
    assert unknown.returncode == 1 and "unknown adapter kind 'fax-machine'" in unknown.stderr

    key = DEFAULT_CLIENTS[1001]
    assert gw("accounts", "add", "merchant", "--connection", "mf-test", "--client-id", "1001",
              GATEWAY_NEW_ACCOUNT_CLIENT_KEY=key).returncode == 0
    assert gw("accounts", "add", "bad", "--connection", "mf-test", "--client-id", "1002",
              "--client-key", "wrong").returncode == 0
    again = gw("accounts", "add", "merchant", "--connection", "mf-test", "--client-id", "9")
    assert again.returncode == 1 and "exists already" in again.stderr
    for shop in ("shop-de", "shop-at"):
        assert gw("shops", "add", shop, "--account", "merchant",
                  "--password", "correct horse battery").returncode == 0

    listed = gw("accounts", "list").stdout
    assert "merchant" in listed and "shop-at, shop-de" in listed
    assert key not in listed and "wrong" not in listed  # keys are never printed
    assert "mf-test" in gw("connections", "list").stdout

    assert gw("accounts", "check", "merchant").stdout.startswith("account merchant: OK")
    checked = gw("connections", "check", "mf-test")
    assert checked.returncode == 1 and "account bad: REFUSED" in checked.stdout
    assert checked.stderr.strip().endswith("\nerror: 1 of 2 account(s) not accepted")

    moved = gw("shops", "set", "shop-at", "--account", "bad")
    assert moved.returncode == 0 and "agency_account" in moved.stdout
    assert "shop-at" in [line.split()[0] for line in gw("shops", "list").stdout.splitlines()
                         if " bad " in line]
    missing = gw("shops", "set", "shop-at", "--account", "nope")
    assert missing.returncode == 1 and missing.stderr.strip() == "error: no account 'nope'"
