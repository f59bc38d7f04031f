"""Slow clients cost `gateway serve` nothing lasting: a request must arrive whole within
GATEWAY_REQUEST_READ_TIMEOUT_S however it trickles in, and the connection cap holds.

Real servers on loopback ports with short limits (waitress as make_server runs it, and
`gateway serve --workers 2` under gunicorn), raw sockets as the slow clients, zeep and plain
HTTP as the well-behaved ones.
"""
from __future__ import annotations

import os
import random
import selectors
import shutil
import socket
import threading
import time

import pytest
import requests

from gateway import app as gateway_app
from gateway.config import load
from gateway.service.shops import add_shop
from tests.serve_process import gateway_serve

from .conftest import PASSWORDS, Facade, serve
from .test_operations import claim

READ_TIMEOUT = 3.0
# The server checks the deadlines every second and its loop wakes at least every second.
SLACK = 2.5
TIMEOUT_ANSWER = b"HTTP/1.1 408 Request Timeout\r\n"
HEADERS = (b"POST /soap/shop HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"
           b"Content-Length: 400\r\n\r\n")


@pytest.fixture
def running(sqlite_template, tmp_path):
    """Start a facade with the given settings (SQLite only: the database is not the point)."""
    stops = []

    def start(**changes) -> Facade:
        path = tmp_path / f"gateway-{len(stops)}.db"
        shutil.copy(sqlite_template, path)
        settings = load(environ={"GATEWAY_DATABASE_URL": f"sqlite:///{path}",
                                 "GATEWAY_LOG_FORMAT": "json"}).replace(**changes)
        gw = gateway_app.build(settings)
        add_shop(gw.uow, "shop-a", password=PASSWORDS["shop-a"], seat="BY")
        base_url, app, stop = serve(gw)
        stops.append((stop, gw))
        return Facade(base_url, app, gw)

    yield start
    for stop, gw in stops:
        stop()
        gw.close()


class Trickle:
    """Slow clients: each sends the next byte of `payload` every 0.5-2 s, and records when
    the server closed its connection and what it answered."""

    def __init__(self, port: int, payloads: list[bytes], give_up_after: float = READ_TIMEOUT + 10):
        self.give_up_after = give_up_after
        self.selector = selectors.DefaultSelector()
        self.clients = []
        for payload in payloads:
            sock = socket.create_connection(("127.0.0.1", port))
            sock.setblocking(False)
            client = {"sock": sock, "payload": payload, "sent": 0, "answer": b"",
                      "opened": time.monotonic(), "closed": None, "due": time.monotonic()}
            self.clients.append(client)
            self.selector.register(sock, selectors.EVENT_READ, client)
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        give_up = time.monotonic() + self.give_up_after
        while time.monotonic() < give_up and any(c["closed"] is None for c in self.clients):
            for key, _ in self.selector.select(timeout=0.05):  # answers first, then bytes
                self._read(key.data)
            now = time.monotonic()
            for client in self.clients:
                if client["closed"] is None and client["due"] <= now:
                    try:
                        client["sock"].send(client["payload"][client["sent"]:client["sent"] + 1])
                    except OSError:
                        self._read(client)  # what the server said before it closed
                        continue
                    client["sent"] += 1
                    client["due"] = now + random.uniform(0.5, 2.0)
        for client in self.clients:
            client["sock"].close()

    def _read(self, client: dict) -> None:
        try:
            data = client["sock"].recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        client["answer"] += data
        if not data and client["closed"] is None:
            client["closed"] = time.monotonic()
            self.selector.unregister(client["sock"])


def exchange(sock: socket.socket, request: bytes) -> bytes:
    """One request on a kept-alive connection; its response's status line."""
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, f"connection closed, got {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:")))
    while len(body) < length:
        body += sock.recv(4096)
    return head.split(b"\r\n")[0]


def test_fifty_trickling_clients_are_closed_at_the_deadline_while_others_are_served(running):
    # The idle timeout is longer than any pause of the trickle: only the deadline can close.
    facade = running(request_read_timeout_s=READ_TIMEOUT, server_idle_timeout_s=3,
                     server_threads=4)
    port = int(facade.base_url.rsplit(":", 1)[1])
    client = facade.client()
    # A request from a line at a time, and blank lines (which waitress skips) each a tenth.
    payloads = [HEADERS + b"<" * 400 if i % 10 else b"\r\n" * 100 for i in range(50)]
    trickle = Trickle(port, payloads)
    trickle.thread.start()
    kept_alive = socket.create_connection(("127.0.0.1", port), timeout=10)
    healthz = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    # Meanwhile: whole requests are answered at once, also on a connection older than the
    # deadline (the clock starts again with each request).
    served = []
    while time.monotonic() - trickle.clients[-1]["opened"] < READ_TIMEOUT + 1.5:
        started = time.monotonic()
        receipt = client.service.SubmitClaim(claim=claim(f"INV-{len(served)}"))
        assert receipt.created is True
        assert exchange(kept_alive, healthz) == b"HTTP/1.1 200 OK"
        served.append(time.monotonic() - started)
        time.sleep(0.5)
    trickle.thread.join(READ_TIMEOUT + 15)
    kept_alive.close()

    assert len(served) >= 5 and max(served) < 2.0, served
    for c in trickle.clients:
        assert c["closed"] is not None, "a trickling connection is still open"
        lasted = c["closed"] - c["opened"]
        assert READ_TIMEOUT - 0.1 <= lasted <= READ_TIMEOUT + SLACK, lasted
        assert c["answer"].startswith(TIMEOUT_ANSWER), c["answer"]
        assert 0 < c["sent"] < len(c["payload"])  # it was still sending, slower than the idle timeout


def test_the_connection_cap_holds_and_late_requests_free_their_places(running):
    # 10 places, of which the listening socket and waitress's wake-up pipe take two.
    facade = running(request_read_timeout_s=1.5, server_connection_limit=10, server_threads=2)
    port = int(facade.base_url.rsplit(":", 1)[1])
    silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(12)]
    time.sleep(0.2)  # the server takes the first 8; the rest wait in the listen backlog

    started = time.monotonic()
    answer = requests.get(facade.base_url + "/healthz", timeout=15)
    waited = time.monotonic() - started

    assert answer.status_code == 200
    # It got a place only when the deadline closed the first eight.
    assert waited >= 1.2, waited
    answers = []
    for sock in silent:
        sock.settimeout(10)
        answers.append(sock.recv(4096))
        sock.close()
    assert all(a.startswith(TIMEOUT_ANSWER) for a in answers), answers


def test_under_gunicorn_a_trickling_client_holds_a_thread_only_until_the_deadline(
        sqlite_template, tmp_path):
    # gthread reads a request in a thread: 6 slow clients for 2 x 2 threads take them all,
    # in turns, each for at most the deadline.
    path = tmp_path / "gateway.db"
    shutil.copy(sqlite_template, path)
    env = dict(os.environ, GATEWAY_DATABASE_URL=f"sqlite:///{path}", GATEWAY_RUN_WORKER="false",
               GATEWAY_RUN_SIMULATOR="false", GATEWAY_SYNC_INTERVAL_S="0",
               GATEWAY_LOG_FORMAT="json", GATEWAY_SERVER_THREADS="2",
               GATEWAY_REQUEST_READ_TIMEOUT_S="2")
    with gateway_serve("--workers", "2", env=env, cwd=tmp_path) as served:
        time.sleep(1.0)  # the second worker process is ready too
        port = int(served.base_url.rsplit(":", 1)[1])
        trickle = Trickle(port, [HEADERS + b"<" * 400] * 6, give_up_after=20)
        trickle.thread.start()
        trickle.thread.join(25)
        assert requests.get(served.base_url + "/healthz", timeout=5).status_code == 200
    assert served.exit_code == 0, served.output()
    assert "Traceback" not in served.output()
    for c in trickle.clients:
        assert c["closed"] is not None, "a trickling connection is still open"
        lasted = c["closed"] - c["opened"]
        assert 2.0 - 0.1 <= lasted <= 3 * 2.0 + SLACK, lasted
        assert c["answer"].startswith(TIMEOUT_ANSWER), c["answer"]
