"""The moved-clock run (.ci/run; tests/moved_clock) moves every Python process's clock."""
from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timezone

import pytest

from tests.conftest import MOVED_CLOCK

pytestmark = pytest.mark.skipif(not MOVED_CLOCK, reason="only in the moved-clock run")


def test_a_subprocess_joins_the_run_s_moved_timeline():
    """A process started later is as far into the moved timeline as this one, not back at
    its start (a worker process would find the rows the tests wrote in its future)."""
    import time

    time.sleep(1.5)
    printed = subprocess.run([sys.executable, "-c", "import time; print(time.time())"],
                             capture_output=True, text=True, check=True, timeout=60).stdout
    assert abs(float(printed) - time.time()) < 1.0


def test_a_subprocess_starts_on_the_moved_clock_and_it_ticks():
    moved_to = date.fromisoformat(MOVED_CLOCK[:10])
    printed = subprocess.run(
        [sys.executable, "-c", "import datetime, time; a = time.time(); time.sleep(0.05); "
                               "print(datetime.date.today(), time.time() > a)"],
        capture_output=True, text=True, check=True, timeout=60).stdout.split()
    assert date.fromisoformat(printed[0]) >= moved_to and printed[1] == "True"
    assert datetime.now(timezone.utc).date() >= moved_to
