"""`gateway serve` as an operator runs it: a process of its own on a free loopback port,
ready when /healthz answers, stopped with SIGTERM."""
from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import requests


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Served:
    base_url: str
    process: subprocess.Popen
    out: Path
    err: Path
    exit_code: int | None = None  # set once the process has stopped

    def output(self) -> str:
        """What it printed (stdout, then stderr when kept apart)."""
        text = self.out.read_text()
        return text + self.err.read_text() if self.err != self.out else text


@contextmanager
def gateway_serve(*args: str, env: dict, cwd: Path, out: Path | None = None,
                  err: Path | None = None) -> Iterator[Served]:
    """Run `python -m gateway serve --port PORT ARGS` in cwd until the block ends; stdout to
    `out` (cwd/serve.log), stderr to `err` (the same file unless given)."""
    port = free_port()
    out = out or cwd / "serve.log"
    err = err or out
    out_file = open(out, "w")
    err_file = open(err, "w") if err != out else None
    try:
        process = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--port", str(port),
                                    *args], env=env, stdout=out_file,
                                   stderr=err_file or subprocess.STDOUT, cwd=cwd)
    finally:
        out_file.close()
        if err_file:
            err_file.close()
    served = Served(f"http://127.0.0.1:{port}", process, out, err)
    try:
        ready_by = time.monotonic() + 60
        while True:
            try:
                requests.get(served.base_url + "/healthz", timeout=5)
                break
            except requests.RequestException:  # refused, or accepted by a worker still loading
                assert process.poll() is None and time.monotonic() < ready_by, served.output()
                time.sleep(0.2)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        served.exit_code = process.wait(60)
