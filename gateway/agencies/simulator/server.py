"""The simulator's WSGI app (SOAP + /_sim control endpoints + fault injection) and
start_simulator(), which runs it under waitress on a loopback port in a thread. The fault
injection and the control endpoints live in front.py, shared with the REST front.

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
import re
import threading
from datetime import datetime
from typing import Callable, Mapping

from spyne.server.wsgi import WsgiApplication

from mappings.mediafinanz import contract

from .core import DEFAULT_APPLICATION_KEY, DEFAULT_CLIENTS, AgencySimulator, SimClock
from .front import (FAULT_KINDS, Reply, SimulatorFront, read_body, run_in_background,
                    run_in_foreground, send, send_text, waitress_server)
from .soap_service import build_application, interface_document

__all__ = ["FAULT_KINDS", "SOAP_PATH", "SimulatorApp", "SimulatorHandle", "serve",
           "start_simulator"]

SOAP_PATH = "/mediafinanz"

_OPERATION = re.compile(rb"<(?:[\w.-]+:)?Body\b[^>]*>\s*<(?:[\w.-]+:)?([A-Za-z]\w*)")
_SERVER_FAULT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soap11env:Envelope xmlns:soap11env="http://schemas.xmlsoap.org/soap/envelope/">'
    "<soap11env:Body><soap11env:Fault>"
    f"<faultcode>soap11env:{contract.FAULT_SERVER}</faultcode>"
    "<faultstring>Dienst vorübergehend nicht verfügbar</faultstring>"
    "</soap11env:Fault></soap11env:Body></soap11env:Envelope>"
).encode("utf-8")
_CLIENT_FAULT_DTD = _SERVER_FAULT.replace(
    f"soap11env:{contract.FAULT_SERVER}".encode(), b"soap11env:Client.DTDForbidden")


class SimulatorApp(SimulatorFront):
    """WSGI: routes /_sim/*, injects faults, hands SOAP to Spyne."""

    operations = contract.OPERATIONS

    def __init__(self, simulator: AgencySimulator, *, latency_ms: float = 0.0,
                 fail_rate: float = 0.0, seed: int = 0, slow_s: float = 15.0,
                 public_url: str | None = None, stop_event: threading.Event | None = None):
        super().__init__(simulator, latency_ms=latency_ms, fail_rate=fail_rate, seed=seed,
                         slow_s=slow_s, stop_event=stop_event)
        self._spyne_app = build_application(simulator)
        self._soap = WsgiApplication(self._spyne_app)
        self._wsdl: bytes | None = None
        self.public_url = public_url

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith("/_sim/"):
            return self._control(method, path, environ, start_response)
        if path.rstrip("/") not in ("", SOAP_PATH):
            return send_text(start_response, "404 Not Found", "not found")
        if method == "GET":
            return self._wsdl_answer(environ, start_response)
        if method != "POST":
            return send_text(start_response, "405 Method Not Allowed", "POST SOAP here")
        body = read_body(environ)
        if body is None:
            return send_text(start_response, "413 Payload Too Large", "request too large")
        if b"<!DOCTYPE" in body.upper():  # SOAP 1.1 forbids DTDs; lxml would 500 on it
            return _xml(start_response, "500 Internal Server Error", _CLIENT_FAULT_DTD)
        match = _OPERATION.search(body[:4096])
        operation = match.group(1).decode() if match else "?"
        return self._with_faults(operation, start_response,
                                 lambda: self._call_spyne(environ, body))

    def _call_spyne(self, environ, body: bytes) -> Reply:
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        answer = b"".join(self._soap(environ, capture))
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(answer))))

        def reply(start_response):
            start_response(captured["status"], headers)
            return [answer]

        return reply

    def _server_fault(self, start_response):
        return _xml(start_response, "500 Internal Server Error", _SERVER_FAULT)

    def _wsdl_answer(self, environ, start_response):
        if self._wsdl is None:
            base = self.public_url or _request_base(environ)
            self._wsdl = interface_document(self._spyne_app, base + SOAP_PATH)
        return _xml(start_response, "200 OK", self._wsdl)


def _request_base(environ) -> str:
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def _xml(start_response, status: str, body: bytes):
    return send(start_response, status, "text/xml; charset=utf-8", body)


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
        try:
            self._server.trigger.pull_trigger(lambda: wasyncore.close_all(self._server._map))
        except OSError:  # the loop closed its map already (its trigger with it)
            pass
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            wasyncore.close_all(self._server._map)
            self._thread.join(timeout_s)

    def __enter__(self) -> "SimulatorHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_simulator(host: str = "127.0.0.1", port: int = 0, latency_ms: float = 0.0,
                    fail_rate: float = 0.0, seed: int = 0, speed: float = 0.0, *,
                    application_key: str = DEFAULT_APPLICATION_KEY,
                    clients: Mapping[int, str] | None = None, threads: int = 64,
                    batch_size: int = 100, slow_s: float = 15.0,
                    start: datetime | None = None,
                    sandbox_clients: bool = False) -> SimulatorHandle:
    """Run the agency simulator in a background thread; returns once it accepts connections.

    port 0 picks a free port (handle.port). speed = simulated days per real second
    (0: the clock stands still unless handle.advance() moves it). clients maps
    clientId -> clientKey (default {1001: "dev-client-key-1001"}); licenceKey =
    md5(application_key + clientKey). start (aware) fixes the agency's calendar: its today
    is then start's day whatever the real date, and reset() returns to it. sandbox_clients:
    also accept every client id of SANDBOX_CLIENT_IDS with its sandbox_client_key (the
    zero-config sandbox's per-shop clients). Always call handle.stop() (or use `with`).
    """
    clients = dict(clients or DEFAULT_CLIENTS)
    simulator = AgencySimulator(seed=seed, clock=SimClock(speed, start),
                                application_key=application_key,
                                clients=clients, batch_size=batch_size,
                                sandbox_clients=sandbox_clients)
    app = SimulatorApp(simulator, latency_ms=latency_ms, fail_rate=fail_rate, seed=seed,
                       slow_s=slow_s)
    server = waitress_server(app, host, port, threads)
    actual_port = int(server.effective_port)
    app.public_url = f"http://{host}:{actual_port}"
    thread = run_in_background(server, f"agency-sim:{actual_port}")
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
    server = waitress_server(app, host, port, threads)
    app.public_url = f"http://{host}:{server.effective_port}"
    if on_ready is not None:
        on_ready(app.public_url + SOAP_PATH)
    run_in_foreground(app, server)
