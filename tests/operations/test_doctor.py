"""`gateway doctor` names each problem in one line with its fix."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from gateway.agencies.simulator import DEFAULT_APPLICATION_KEY, DEFAULT_CLIENTS, start_simulator
from gateway.service.shops import add_shop


def doctor(db_url: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "GATEWAY_LOG_FORMAT": "json", "GATEWAY_DATABASE_URL": db_url,
                "GATEWAY_AGENCY_APPLICATION_KEY": DEFAULT_APPLICATION_KEY, **env}
    return subprocess.run([sys.executable, "-m", "gateway", "doctor"], capture_output=True,
                          text=True, env=full_env, timeout=120)


@pytest.fixture(scope="module")
def sim():
    with start_simulator() as handle:
        yield handle


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_wrong_database_url(tmp_path):
    result = doctor("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.returncode == 1
    assert "[FAIL] database: cannot reach the database" in result.stdout
    assert "fix: check GATEWAY_DATABASE_URL" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_schema_out_of_date(tmp_path):
    result = doctor(f"sqlite:///{tmp_path / 'empty.db'}", GATEWAY_AGENCY_URL="http://127.0.0.1:1/x")
    assert "[FAIL] schema: at revision none" in result.stdout
    assert "fix: run `gateway db upgrade`" in result.stdout


def test_unreachable_agency(gateway, db_url):
    key = DEFAULT_CLIENTS[1001]
    add_shop(gateway.uow, "shop-a", agency_client_id="1001", agency_client_key=key)
    url = f"http://127.0.0.1:{free_port()}/mediafinanz"
    result = doctor(db_url, GATEWAY_AGENCY_URL=url)
    assert result.returncode == 1
    assert "[FAIL] account client-1001: cannot reach its agency" in result.stdout
    assert "fix: check the connection's URL (GATEWAY_AGENCY_URL" in result.stdout


def test_bad_and_good_agency_credentials(gateway, db_url, sim):
    add_shop(gateway.uow, "shop-good", agency_client_id="1001",
             agency_client_key=DEFAULT_CLIENTS[1001])
    add_shop(gateway.uow, "shop-bad", agency_client_id="1002", agency_client_key="wrong-key")
    add_shop(gateway.uow, "shop-none")
    result = doctor(db_url, GATEWAY_AGENCY_URL=sim.url)
    assert result.returncode == 1
    lines = {line.split(":")[0]: line for line in result.stdout.splitlines()}
    assert lines["[FAIL] account client-1002"].startswith(
        "[FAIL] account client-1002: the agency refused the credentials of client id 1002")
    assert "gateway accounts set client-1002" in result.stdout
    assert lines["[  ok] account client-1001"].endswith("accepts client id 1001")
    assert "is on no agency account" in lines["[FAIL] shop shop-none"]
    assert "wrong-key" not in result.stdout  # secrets never printed


def test_all_good_exits_zero(gateway, db_url, sim):
    add_shop(gateway.uow, "shop-good", agency_client_id="1001",
             agency_client_key=DEFAULT_CLIENTS[1001])
    result = doctor(db_url, GATEWAY_AGENCY_URL=sim.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout


def test_shops_set_fixes_credentials(gateway, db_url, sim):
    add_shop(gateway.uow, "shop-a", agency_client_id="1001", agency_client_key="wrong-key")
    env = {**os.environ, "GATEWAY_DATABASE_URL": db_url, "GATEWAY_LOG_FORMAT": "json"}
    changed = subprocess.run([sys.executable, "-m", "gateway", "shops", "set", "shop-a",
                              "--agency-client-key", DEFAULT_CLIENTS[1001]],
                             capture_output=True, text=True, env=env, timeout=60)
    assert changed.stdout.strip() == "shop shop-a: changed agency_client_key"
    assert doctor(db_url, GATEWAY_AGENCY_URL=sim.url).returncode == 0
