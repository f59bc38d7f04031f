"""Moves the wall clock of every Python process of a test run (servers and subprocesses too).

Put this folder on PYTHONPATH and set GATEWAY_TEST_CLOCK to an ISO date or datetime (UTC):
every Python process that starts then begins its day there and ticks on. time-machine moves
time.time(), datetime.now() and date.today(); the monotonic clocks stay real, so timed
waits and sleeps behave. Used by .ci/run to catch tests that only pass before some date.
"""
import os

_moved_to = os.environ.get("GATEWAY_TEST_CLOCK")
if _moved_to:
    from datetime import datetime, timezone

    import time_machine  # a missing package must fail the run, not leave the clock real

    _start = datetime.fromisoformat(_moved_to)
    if _start.tzinfo is None:
        _start = _start.replace(tzinfo=timezone.utc)
    time_machine.travel(_start, tick=True).start()
