"""Waiting for a benchmark's own servers to come up.

A benchmark runs on a shared, sometimes busy machine: a server process that needs 20 s to
import and bind is slow, not broken. So the wait is long (GATEWAY_BENCH_READY_TIMEOUT_S,
default 120 s), any answer-less attempt (refused, reset, read timeout, half-started worker)
just means "not yet", and a server that never answers ends the benchmark with one line and
exit code 2 instead of a traceback.
"""
from __future__ import annotations

import os
import sys
import time
from typing import Callable, TypeVar

T = TypeVar("T")

DEFAULT_READY_TIMEOUT_S = 120.0


class ServerDidNotStart(Exception):
    """The one line a benchmark ends with when its server does not come up."""


def ready_timeout_s() -> float:
    raw = os.environ.get("GATEWAY_BENCH_READY_TIMEOUT_S", "")
    try:
        return float(raw) if raw else DEFAULT_READY_TIMEOUT_S
    except ValueError:
        raise ServerDidNotStart(f"GATEWAY_BENCH_READY_TIMEOUT_S must be seconds, got {raw!r}")


def _exit_code(process) -> int | None:
    if process is None:
        return None
    if hasattr(process, "poll"):  # subprocess.Popen
        return process.poll()
    return process.exitcode  # multiprocessing.Process


def wait_until_ready(probe: Callable[[], T], what: str, process=None,
                     timeout_s: float | None = None, interval_s: float = 0.2) -> T:
    """Call probe() until it returns; its result is returned.

    process (a Popen or a multiprocessing.Process) that exits ends the wait at once.
    Raises ServerDidNotStart after timeout_s (default: ready_timeout_s()).
    """
    timeout_s = ready_timeout_s() if timeout_s is None else timeout_s
    deadline = time.monotonic() + timeout_s
    last = "no attempt"
    while True:
        code = _exit_code(process)
        if code is not None:
            raise ServerDidNotStart(f"{what} exited (code {code}) before it answered")
        try:
            return probe()
        except Exception as exc:  # noqa: BLE001 - any failed attempt means "not yet"
            last = type(exc).__name__
        if time.monotonic() >= deadline:
            raise ServerDidNotStart(
                f"{what} did not answer within {timeout_s:g} s (last attempt: {last}); on a "
                "busy machine set GATEWAY_BENCH_READY_TIMEOUT_S to wait longer")
        time.sleep(interval_s)


def run(main: Callable[[], int | None]) -> int:
    """Run a benchmark's main(); a server that did not come up is one line on stderr, exit 2."""
    try:
        return main() or 0
    except ServerDidNotStart as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
