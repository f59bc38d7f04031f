"""Benchmarks wait for their servers with a long bound and end with one line when one never answers."""
from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from scripts.bench_ready import ServerDidNotStart, run, wait_until_ready
from tests.agencies.test_integration import socket_closed_port


def test_a_server_that_never_answers_ends_the_benchmark_with_one_line(capsys):
    with socket_closed_port() as port:
        def main() -> int:
            wait_until_ready(lambda: requests.get(f"http://127.0.0.1:{port}/", timeout=0.2),
                             "the facade server", timeout_s=0.5, interval_s=0.1)
            return 0

        assert run(main) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("error: the facade server did not answer within 0.5 s (last "
                          "attempt: ConnectionError)")


def test_not_yet_answering_is_waited_for_and_a_dead_process_ends_the_wait_at_once():
    attempts = iter([ConnectionError(), requests.ReadTimeout(), "up"])

    def probe():
        outcome = next(attempts)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert wait_until_ready(probe, "x", timeout_s=10, interval_s=0.01) == "up"
    dead = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    dead.wait()
    with pytest.raises(ServerDidNotStart, match=r"x exited \(code 3\) before it answered"):
        wait_until_ready(probe, "x", process=dead, timeout_s=60)
