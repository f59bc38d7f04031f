"""Moves the wall clock of every Python process of a test run (servers and subprocesses too).

Put this folder on PYTHONPATH (as an absolute path) and set GATEWAY_TEST_CLOCK to an ISO
date or datetime (UTC): every Python process then runs on one moved timeline that began at
that moment when the run began, and ticks on. time-machine moves time.time(),
datetime.now() and date.today(); the monotonic clocks stay real, so timed waits and sleeps
behave. Used by .ci/run to catch tests that only pass before some date.

One timeline, not one start per process: the first process notes the real time it began
in GATEWAY_TEST_CLOCK_ANCHOR, which its children inherit, and each process travels to the
moved start plus the real time since the anchor. Without it a worker started after minutes
of testing would live minutes in the past of the rows the tests wrote, and find nothing due.
"""
import os

_moved_to = os.environ.get("GATEWAY_TEST_CLOCK")
if _moved_to:
    import time
    from datetime import datetime, timedelta, timezone

    import time_machine  # a missing package must fail the run, not leave the clock real

    _anchor = os.environ.get("GATEWAY_TEST_CLOCK_ANCHOR")
    if _anchor is None:
        _anchor = os.environ["GATEWAY_TEST_CLOCK_ANCHOR"] = repr(time.time())
    _start = datetime.fromisoformat(_moved_to)
    if _start.tzinfo is None:
        _start = _start.replace(tzinfo=timezone.utc)
    _start += timedelta(seconds=time.time() - float(_anchor))
    time_machine.travel(_start, tick=True).start()
