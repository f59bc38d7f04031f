"""`gateway agency-sim --start DATE`: a simulator whose calendar does not follow the real date."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import requests


def test_agency_sim_starts_its_calendar_on_the_given_day():
    process = subprocess.Popen([sys.executable, "-m", "gateway", "agency-sim", "--port", "0",
                                "--speed", "0", "--start", "2024-06-03"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env={**os.environ, "GATEWAY_LOG_FORMAT": "json"})
    try:
        ready = process.stdout.readline()
        url = re.search(r"(http://127\.0\.0\.1:\d+)/mediafinanz", ready)
        assert url, ready
        stats = requests.get(url.group(1) + "/_sim/stats", timeout=10).json()
        assert stats["now"] == "2024-06-03T00:00:00+00:00"
    finally:
        process.terminate()
        process.wait(30)


def test_a_day_that_is_no_date_is_a_usage_error():
    result = subprocess.run([sys.executable, "-m", "gateway", "agency-sim", "--start",
                             "2024-13-01"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--start" in result.stderr
