"""The simulator's WSGI app (SOAP + /_sim control endpoints + fault injection) and
start_simulator(), which runs it under waitress on a loopback port in a thread.

Faults, by kind (FAULT_KINDS):
  latency       extra delay (5 x latency_ms, at least 200 ms), then a normal answer
  http500       HTTP 500 text/plain, nothing processed
  http503       HTTP 503 with Retry-After, nothing processed
  server_fault  HTTP 500 with a SOAP Server fault, nothing processed
  drop          connection dropped mid-answer, nothing processed
  lost_response processed (a claim IS stored), then the connection is dropped mid-answer
  slow          processed, then answered after `delay_s` (default 15 s): longer than a
                client's timeout
With fail_rate > 0 every SOAP request draws from a RNG seeded by `seed` (the nth
request gets the nth draw) whether it fails and how. Tests force faults exactly
with handle.inject(kind, operation=None, count=1, delay_s=None) or
POST /_sim/faults {"kind": ..., "operation": ..., "count": ..., "delay_s": ...}:
queued faults go first, in order, to the next matching requests.

Control endpoints (JSON):
  GET  /_sim/stats   {"calls": {operation: n}, "claims": n, "duplicates": n, "rejected": n,
                      "now": the simulated clock (ISO 8601), "faults": {kind: n}}
  GET  /_sim/claims  {invoice: fileNumber}
  POST /_sim/faults  queue faults (above)
  POST /_sim/status  {"fileNumber": ..., "statusCode": ..., "statusDetails": ..., "statusText": ...}
                     puts any code (also unknown ones) on a claim, as a feed change
  POST /_sim/advance {"days": n}  moves the simulated clock
  POST /_sim/reset   forgets claims, feed, counters and queued faults; the clock goes back
                     to its start (a fixed --start, or the real now)
"""
from __future__ import annotations

import io
import json
import logging
import random
import re
import threading
from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable, Mapping

from spyne.server.wsgi import WsgiApplication

from mappings.mediafinanz import contract

from .core import DEFAULT_APPLICATION_KEY, DEFAULT_CLIENTS, AgencySimulator, SimClock
from .soap_service import build_application, interface_document

FAULT_KINDS = ("latency", "http500", "http503", "server_fault", "drop", "lost_response", "slow")
SOAP_PATH = "/mediafinanz"
MAX_BODY = 1 << 20

_OPERATION = re.compile(rb"<(?:[\w.-]+:)?Body\b[^>]*>\s*<(?:[\w.-]+:)?([A-Za-z]\w*)")
_SERVER_FAULT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soap11env:Envelope xmlns:soap11env="http://schemas.xmlsoap.org/soap/envelope/">'
    "<soap11env:Body><soap11env:Fault>"
    f"<faultcode>soap11env:{contract.FAULT_SERVER}</faultcode>"
    "<faultstring>Dienst vorübergehend nicht verfügbar</faultstring>"
    "</soap11env:Fault></soap11env:Body></soap11env:Envelope>"
).encode("utf-8")


class _QuietDrops(logging.Filter):
    """Drops waitress's warning about the short answers the drop faults write on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("application returned too few bytes")


logging.getLogger("waitress").addFilter(_QuietDrops())
_CLIENT_FAULT_DTD = _SERVER_FAULT.replace(
    f"soap11env:{contract.FAULT_SERVER}".encode(), b"soap11env:Client.DTDForbidden")


@dataclass(frozen=True)
class Fault:
    kind: str
    operation: str | None = None
    delay_s: float | None = None


class SimulatorApp:
    """WSGI: routes /_sim/*, injects faults, hands SOAP to Spyne."""

    def __init__(self, simulator: AgencySimulator, *, latency_ms: float = 0.0,
                 fail_rate: float = 0.0, seed: int = 0, slow_s: float = 15.0,
                 public_url: str | None = None, stop_event: threading.Event | None = None):
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
        self._spyne_app = build_application(simulator)
        self._soap = WsgiApplication(self._spyne_app)
        self._wsdl: bytes | None = None
        self.public_url = public_url

    # -- control ---------------------------------------------------------------
    def inject(self, kind: str, operation: str | None = None, count: int = 1,
               delay_s: float | None = None) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(FAULT_KINDS)}")
        if operation is not None and operation not in contract.OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}")
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

    # -- WSGI ------------------------------------------------------------------
    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith("/_sim/"):
            return self._control(method, path, environ, start_response)
        if path.rstrip("/") not in ("", SOAP_PATH):
            return _text(start_response, "404 Not Found", "not found")
        if method == "GET":
            return self._wsdl_answer(environ, start_response)
        if method != "POST":
            return _text(start_response, "405 Method Not Allowed", "POST SOAP here")
        body = _read_body(environ)
        if body is None:
            return _text(start_response, "413 Payload Too Large", "request too large")
        if b"<!DOCTYPE" in body.upper():  # SOAP 1.1 forbids DTDs; lxml would 500 on it
            return _xml(start_response, "500 Internal Server Error", _CLIENT_FAULT_DTD)
        match = _OPERATION.search(body[:4096])
        operation = match.group(1).decode() if match else "?"
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
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        answer = b"".join(self._soap(environ, capture))
        if fault is not None and fault.kind == "lost_response":
            return _dropped(start_response)
        if fault is not None and fault.kind == "slow":
            self.stop_event.wait(fault.delay_s if fault.delay_s is not None else self.slow_s)
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        start_response(captured["status"], headers + [("Content-Length", str(len(answer)))])
        return [answer]

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
            return _text(start_response, "500 Internal Server Error", "internal server error")
        if kind == "http503":
            return _text(start_response, "503 Service Unavailable", "service unavailable",
                         [("Retry-After", "1")])
        if kind == "server_fault":
            return _xml(start_response, "500 Internal Server Error", _SERVER_FAULT)
        if kind == "drop":
            return _dropped(start_response)
        return None  # lost_response and slow act after processing

    def _wsdl_answer(self, environ, start_response):
        if self._wsdl is None:
            base = self.public_url or _request_base(environ)
            self._wsdl = interface_document(self._spyne_app, base + SOAP_PATH)
        return _xml(start_response, "200 OK", self._wsdl)

    def _control(self, method, path, environ, start_response):
        try:
            if method == "GET" and path == "/_sim/stats":
                return _json(start_response, self.stats())
            if method == "GET" and path == "/_sim/claims":
                return _json(start_response, self.simulator.claims())
            if method != "POST":
                return _text(start_response, "404 Not Found", "not found")
            data = json.loads(_read_body(environ) or b"{}")
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
                return _text(start_response, "404 Not Found", "not found")
            return _json(start_response, {"ok": True})
        except (KeyError, ValueError, TypeError) as exc:
            return _json(start_response, {"ok": False, "error": str(exc)}, "400 Bad Request")


def _read_body(environ) -> bytes | None:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return None
    return environ["wsgi.input"].read(length) if length else b""


def _request_base(environ) -> str:
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def _text(start_response, status: str, text: str, extra: list | None = None):
    body = text.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body)))] + (extra or []))
    return [body]


def _xml(start_response, status: str, body: bytes):
    start_response(status, [("Content-Type", "text/xml; charset=utf-8"),
                            ("Content-Length", str(len(body)))])
    return [body]


def _json(start_response, data, status: str = "200 OK"):
    body = json.dumps(data, default=str).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body)))])
    return [body]


def _dropped(start_response):
    # waitress closes the connection when an app writes fewer bytes than it announced:
    # the client sees the status line, one byte, then the connection gone.
    start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8"),
                              ("Content-Length", "4096")])
    return [b"<"]


class SimulatorHandle:
    """A simulator running in a background thread (see start_simulator).

    url       the SOAP endpoint (http://127.0.0.1:PORT/mediafinanz); GET on it gives the WSDL
    base_url  http://127.0.0.1:PORT (the /_sim/* endpoints hang below it)
    simulator the AgencySimulator (core state), app the SimulatorApp (WSGI)
    """

    def __init__(self, app: SimulatorApp, server, thread: threading.Thread, host: str,
                 port: int, application_key: str, clients: Mapping[int, str]):
        self.app = app
        self.simulator = app.simulator
        self._server = server
        self._thread = thread
        self.host, self.port = host, port
        self.base_url = f"http://{host}:{port}"
        self.url = self.base_url + SOAP_PATH
        self.application_key = application_key
        self.clients = dict(clients)

    def stats(self) -> dict:
        """Same as GET /_sim/stats: calls per operation, claims, duplicates, rejected, faults."""
        return self.app.stats()

    def claims(self) -> dict[str, str]:
        """Same as GET /_sim/claims: invoice -> file number."""
        return self.simulator.claims()

    def inject(self, kind: str, operation: str | None = None, count: int = 1,
               delay_s: float | None = None) -> None:
        """Queue `count` faults of `kind` for the next requests (of `operation`, or any)."""
        self.app.inject(kind, operation, count, delay_s)

    def force_status(self, file_number: str, code: int, details: str | None = None,
                     text: str | None = None) -> None:
        self.simulator.force_status(file_number, code, details, text)

    def advance(self, days: float) -> None:
        """Move the simulated clock; planned status changes up to then happen."""
        self.simulator.advance(days)

    def reset(self) -> None:
        self.app.reset()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop serving; sleeping fault responses are cut short. Safe to call twice."""
        if self.app.stop_event.is_set():
            return
        self.app.stop_event.set()
        self._server.task_dispatcher.shutdown(timeout=timeout_s)
        from waitress import wasyncore

        # Closed from inside the loop (a trigger thunk): the loop then sees its map empty
        # and ends at once, instead of sitting out its select() timeout on closed sockets.
        self._server.trigger.pull_trigger(lambda: wasyncore.close_all(self._server._map))
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            wasyncore.close_all(self._server._map)
            self._thread.join(timeout_s)

    def __enter__(self) -> "SimulatorHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _waitress_server(app: SimulatorApp, host: str, port: int, threads: int):
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


def start_simulator(host: str = "127.0.0.1", port: int = 0, latency_ms: float = 0.0,
                    fail_rate: float = 0.0, seed: int = 0, speed: float = 0.0, *,
                    application_key: str = DEFAULT_APPLICATION_KEY,
                    clients: Mapping[int, str] | None = None, threads: int = 64,
                    batch_size: int = 100, slow_s: float = 15.0,
                    start: datetime | None = None) -> SimulatorHandle:
    """Run the agency simulator in a background thread; returns once it accepts connections.

    port 0 picks a free port (handle.port). speed = simulated days per real second
    (0: the clock stands still unless handle.advance() moves it). clients maps
    clientId -> clientKey (default {1001: "dev-client-key-1001"}); licenceKey =
    md5(application_key + clientKey). start (aware) fixes the agency's calendar: its today
    is then start's day whatever the real date, and reset() returns to it. Always call
    handle.stop() (or use `with`).
    """
    clients = dict(clients or DEFAULT_CLIENTS)
    simulator = AgencySimulator(seed=seed, clock=SimClock(speed, start),
                                application_key=application_key,
                                clients=clients, batch_size=batch_size)
    app = SimulatorApp(simulator, latency_ms=latency_ms, fail_rate=fail_rate, seed=seed,
                       slow_s=slow_s)
    server = _waitress_server(app, host, port, threads)
    actual_port = int(server.effective_port)
    app.public_url = f"http://{host}:{actual_port}"

    def run() -> None:
        try:
            server.run()
        except Exception:  # noqa: BLE001 - closing the map under the loop at stop()
            pass

    thread = threading.Thread(target=run, name=f"agency-sim:{actual_port}", daemon=True)
    thread.start()
    return SimulatorHandle(app, server, thread, host, actual_port, application_key, clients)


def serve(host: str = "127.0.0.1", port: int = 8090, latency_ms: float = 0.0,
          fail_rate: float = 0.0, seed: int = 0, speed: float = 1.0, *,
          application_key: str = DEFAULT_APPLICATION_KEY,
          clients: Mapping[int, str] | None = None, threads: int = 64,
          on_ready: Callable[[str], None] | None = None,
          start: datetime | None = None) -> None:
    """Run the simulator in the foreground until interrupted (the CLI's agency-sim)."""
    simulator = AgencySimulator(seed=seed, clock=SimClock(speed, start),
                                application_key=application_key,
                                clients=clients or DEFAULT_CLIENTS)
    app = SimulatorApp(simulator, latency_ms=latency_ms, fail_rate=fail_rate, seed=seed)
    server = _waitress_server(app, host, port, threads)
    app.public_url = f"http://{host}:{server.effective_port}"
    if on_ready is not None:
        on_ready(app.public_url + SOAP_PATH)
    try:
        server.run()
    finally:
        app.stop_event.set()
        server.task_dispatcher.shutdown()
