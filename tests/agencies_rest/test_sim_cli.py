"""`gateway agency-sim --api rest`: the REST simulator in its own process."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import requests

from gateway.agencies.mediafinanz_rest import MediafinanzRestAgency
from gateway.agencies.simulator import DEFAULT_REST_CLIENTS, DEFAULT_REST_UUID
from gateway.service.agency_port import AgencyAuthFailed, AgencyCredentials

from .conftest import claim

UUID = "0b9e3c1d-2002-4f7a-8c3b-000000002002"


def _start(*args: str) -> tuple[subprocess.Popen, str, str]:
    process = subprocess.Popen([sys.executable, "-m", "gateway", "agency-sim", "--api", "rest",
                                "--port", "0", "--speed", "0", "--start", "2024-06-03", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env={**os.environ, "GATEWAY_LOG_FORMAT": "json"})
    ready = process.stdout.readline()
    url = re.search(r" on (http://127\.0\.0\.1:\d+) ", ready)
    if not url:
        process.terminate()
        process.wait(30)
    assert url, ready
    return process, url.group(1), ready


def test_agency_sim_serves_the_rest_api_on_its_own_calendar():
    process, url, ready = _start()
    try:
        assert DEFAULT_REST_UUID in ready and "dev-password" not in ready
        stats = requests.get(url + "/_sim/stats", timeout=10).json()
        assert stats["now"] == "2024-06-03T00:00:00+00:00"
        client = DEFAULT_REST_CLIENTS[DEFAULT_REST_UUID]
        creds = AgencyCredentials(DEFAULT_REST_UUID, client.password, user=client.user)
        agency = MediafinanzRestAgency(url, timeout_s=5.0)
        agency.check_credentials(creds)
        number = agency.submit_claim(creds, claim("ORDER-CLI"))
        assert requests.get(url + "/_sim/claims", timeout=10).json() == {"ORDER-CLI": number}
    finally:
        process.terminate()
        process.wait(30)


def test_rest_clients_come_from_the_command_line():
    process, url, ready = _start("--rest-client", f"{UUID}:shop-7:pa:ss")
    try:
        assert f"{UUID} (shop-7)" in ready and "pa:ss" not in ready
        agency = MediafinanzRestAgency(url, timeout_s=5.0)
        agency.check_credentials(AgencyCredentials(UUID, "pa:ss", user="shop-7"))
        with pytest.raises(AgencyAuthFailed):  # the default client is not accepted then
            client = DEFAULT_REST_CLIENTS[DEFAULT_REST_UUID]
            agency.check_credentials(AgencyCredentials(DEFAULT_REST_UUID, client.password,
                                                       user=client.user))
    finally:
        process.terminate()
        process.wait(30)


@pytest.mark.parametrize("value", ["not-a-uuid:u:secret-pw", f"{UUID}:u", f"{UUID}::secret-pw"])
def test_a_rest_client_that_is_none_is_a_usage_error(value):
    result = subprocess.run([sys.executable, "-m", "gateway", "agency-sim", "--api", "rest",
                             "--rest-client", value], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--rest-client" in result.stderr and "secret-pw" not in result.stderr
