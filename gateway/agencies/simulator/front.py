"""What both simulator fronts (server.py: SOAP, rest_server.py: REST) share: the fault kinds
and their seeded schedule, the call and fault counters, the /_sim/* control endpoints, the
small WSGI answers and the waitress server they run under.

A front extends SimulatorFront: it names its `operations`, answers `server_fault` in its
own format, and runs each request's processing through `_with_faults`.
"""
from __future__ import annotations

import json
import logging
import random
import threading
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any, Callable, Collection, Iterable

from .core import AgencySimulator

FAULT_KINDS = ("latency", "http500", "http503", "server_fault", "drop", "lost_response", "slow")
MAX_BODY = 1 << 20

# Sends a processed request's answer; called once its fault (if any) had its say.
Reply = Callable[[Callable[..., Any]], Iterable[bytes]]


class _QuietDrops(logging.Filter):
    """Drops waitress's warning about the short answers the drop faults write on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("application returned too few bytes")


logging.getLogger("waitress").addFilter(_QuietDrops())


@dataclass(frozen=True)
class Fault:
    kind: str
    operation: str | None = None
    delay_s: float | None = None


class SimulatorFront:
    """WSGI base of a front: fault injection, counters and the /_sim/* control endpoints."""

    operations: Collection[str] = ()

    def __init__(self, simulator: AgencySimulator, *, latency_ms: float = 0.0,
                 fail_rate: float = 0.0, seed: int = 0, slow_s: float = 15.0,
                 stop_event: threading.Event | None = None):
        if not 0.0 <= fail_rate <= 1.0:
            raise ValueError("fail_rate must be between 0 and 1")
        self.simulator = simulator
        self.latency_s = latency_ms / 1000.0
        self.fail_rate = fail_rate
        self.slow_s = slow_s
        self.stop_event = stop_event or threading.Event()
        self._rng = random.Random(f"{seed}:faults")
        self._lock = threading.Lock()
        self._queued: deque[Fault] = deque()
        self._calls: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()

    # -- control ---------------------------------------------------------------
    def inject(self, kind: str, operation: str | None = None, count: int = 1,
               delay_s: float | None = None) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(FAULT_KINDS)}")
        if operation is not None and operation not in self.operations:
            raise ValueError(f"unknown operation {operation!r}; one of "
                             f"{', '.join(self.operations)}")
        with self._lock:
            self._queued.extend(Fault(kind, operation, delay_s) for _ in range(int(count)))

    def stats(self) -> dict:
        with self._lock:
            calls, faults = dict(self._calls), dict(self._faults)
        return {"calls": calls, **self.simulator.counts(), "faults": faults}

    def reset(self) -> None:
        with self._lock:
            self._queued.clear()
            self._calls.clear()
            self._faults.clear()
        self.simulator.reset()

    # -- faults ----------------------------------------------------------------
    def _with_faults(self, operation: str, start_response,
                     process: Callable[[], Reply]) -> Iterable[bytes]:
        """Counts the call, waits the latency, and lets its fault (queued, else drawn) act
        before `process` changes the agency's state, or on the answer afterwards."""
        with self._lock:
            self._calls[operation] += 1
        fault = self._next_fault(operation)
        if self.latency_s:
            self.stop_event.wait(self.latency_s)
        if fault is not None:
            with self._lock:
                self._faults[fault.kind] += 1
            early = self._fault_before(fault, start_response)
            if early is not None:
                return early
        reply = process()
        if fault is not None and fault.kind == "lost_response":
            return send_dropped(start_response)
        if fault is not None and fault.kind == "slow":
            self.stop_event.wait(fault.delay_s if fault.delay_s is not None else self.slow_s)
        return reply(start_response)

    def _next_fault(self, operation: str) -> Fault | None:
        with self._lock:
            for i, queued in enumerate(self._queued):
                if queued.operation in (None, operation):
                    del self._queued[i]
                    return queued
            if self.fail_rate and self._rng.random() < self.fail_rate:
                return Fault(self._rng.choice(FAULT_KINDS))
        return None

    def _fault_before(self, fault: Fault, start_response) -> Iterable[bytes] | None:
        kind = fault.kind
        if kind == "latency":
            delay = fault.delay_s if fault.delay_s is not None else max(0.2, 5 * self.latency_s)
            self.stop_event.wait(delay)
            return None
        if kind == "http500":
            return send_text(start_response, "500 Internal Server Error", "internal server error")
        if kind == "http503":
            return send_text(start_response, "503 Service Unavailable", "service unavailable",
                             [("Retry-After", "1")])
        if kind == "server_fault":
            return self._server_fault(start_response)
        if kind == "drop":
            return send_dropped(start_response)
        return None  # lost_response and slow act after processing

    def _server_fault(self, start_response) -> Iterable[bytes]:
        """HTTP 500 with the agency's own error body."""
        raise NotImplementedError

    # -- /_sim/* ---------------------------------------------------------------
    def _control(self, method, path, environ, start_response):
        try:
            if method == "GET" and path == "/_sim/stats":
                return send_json(start_response, self.stats())
            if method == "GET" and path == "/_sim/claims":
                return send_json(start_response, self.simulator.claims())
            if method != "POST":
                return send_text(start_response, "404 Not Found", "not found")
            data = json.loads(read_body(environ) or b"{}")
            if path == "/_sim/faults":
                self.inject(data["kind"], data.get("operation"), int(data.get("count", 1)),
                            data.get("delay_s"))
            elif path == "/_sim/status":
                self.simulator.force_status(str(data["fileNumber"]), int(data["statusCode"]),
                                            data.get("statusDetails"), data.get("statusText"))
            elif path == "/_sim/advance":
                self.simulator.advance(float(data["days"]))
            elif path == "/_sim/reset":
                self.reset()
            else:
                return send_text(start_response, "404 Not Found", "not found")
            return send_json(start_response, {"ok": True})
        except (KeyError, ValueError, TypeError) as exc:
            return send_json(start_response, {"ok": False, "error": str(exc)}, "400 Bad Request")


def read_body(environ) -> bytes | None:
    """The request body; None when it is larger than MAX_BODY."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return None
    return environ["wsgi.input"].read(length) if length else b""


def send(start_response, status: str, content_type: str, body: bytes,
         extra: list | None = None) -> list[bytes]:
    start_response(status, [("Content-Type", content_type),
                            ("Content-Length", str(len(body)))] + (extra or []))
    return [body]


def send_text(start_response, status: str, text: str, extra: list | None = None):
    return send(start_response, status, "text/plain; charset=utf-8", text.encode(), extra)


def send_json(start_response, data, status: str = "200 OK"):
    return send(start_response, status, "application/json",
                json.dumps(data, default=str).encode())


def send_dropped(start_response):
    # waitress closes the connection when an app writes fewer bytes than it announced:
    # the client sees the status line, one byte, then the connection gone.
    start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"),
                              ("Content-Length", "4096")])
    return [b"<"]


def waitress_server(app: SimulatorFront, host: str, port: int, threads: int):
    from waitress import create_server

    # 32 clients with 100 ms latency each keep ~32 requests in flight; twice that many
    # threads leave room for slow-fault sleepers. Connections are pooled by clients.
    # asyncore_loop_timeout is an int to waitress: the 0.25 this once said became 0, and
    # the loop spun select() with no timeout, a core's worth of GIL taken from the
    # request threads (3-7 ms CPU per request instead of ~1). Waitress wakes the loop
    # itself when an answer is ready; stop() wakes it too.
    return create_server(app, host=host, port=port, threads=threads, connection_limit=512,
                         backlog=1024, channel_timeout=120, asyncore_loop_timeout=1,
                         ident="agency-sim", clear_untrusted_proxy_headers=True)


def run_in_background(server, name: str) -> threading.Thread:
    """Serve in a daemon thread; SimulatorHandle.stop() ends it."""

    def run() -> None:
        try:
            server.run()
        except Exception:  # noqa: BLE001 - closing the map under the loop at stop()
            pass

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def run_in_foreground(app: SimulatorFront, server) -> None:
    """Serve until interrupted; sleeping fault responses are cut short on the way out."""
    try:
        server.run()
    finally:
        app.stop_event.set()
        server.task_dispatcher.shutdown()
