"""`gateway serve` on a port in use: one line, exit code 2, and nothing started (no simulator,
worker or sync, no gunicorn); on a free port the same setup starts them all and serves."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys

import pytest
import requests

from tests.serve_process import gateway_serve


def serve_env(sqlite_template, tmp_path) -> dict:
    # A migrated database and no agency URL: everything `gateway serve` runs in-process
    # (simulator, worker, sync) would start and say so in a log line on stderr.
    path = tmp_path / "gateway.db"
    shutil.copy(sqlite_template, path)
    return dict(os.environ, GATEWAY_DATABASE_URL=f"sqlite:///{path}", GATEWAY_LOG_FORMAT="json",
                GATEWAY_LOG_LEVEL="debug")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_busy_port_is_one_line_and_nothing_started(sqlite_template, tmp_path, workers):
    env = serve_env(sqlite_template, tmp_path)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "gateway", "serve", "--port", str(port),
                                 "--workers", workers], capture_output=True, text=True, env=env,
                                cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"error: cannot listen on 127.0.0.1:{port}: address already in use\n"
    assert result.stdout == ""


def test_on_a_free_port_it_starts_everything_and_serves(sqlite_template, tmp_path):
    with gateway_serve(env=serve_env(sqlite_template, tmp_path), cwd=tmp_path) as served:
        assert requests.get(served.base_url + "/healthz", timeout=5).status_code == 200
    log = served.output()
    assert served.exit_code == 0, log
    for started in ("SIMULATED SANDBOX AGENCY", "outbox worker started in-process",
                    "changes sync runs in-process", "shop facade listening"):
        assert started in log
