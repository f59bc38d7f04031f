"""The simulator's REST front: mediafinanz's REST API v2.1 over the same AgencySimulator core
as the SOAP front (server.py), with the same fault kinds and /_sim/* control endpoints, and
start_rest_simulator(), which runs it under waitress on a loopback port in a thread.

Paths, JSON names and codes come from mappings.mediafinanz_rest, like the adapter's, so
both sides read one description of the API (README.md there lists what is assumed).

Clients: the core knows numeric client ids (the SOAP clientId). The REST API knows a client
by UUID, with a user and password; `clients` maps each UUID to a RestClient(client_id,
user, password), so a UUID sees the claims of its numeric client, whichever front made them.

Answers (ASSUMED, like the API's, see the mapping's README.md):
  200/201 JSON                new claim (201 created, 200 a repeated ClientCustomerRefNo),
                              status, accounting, account; close, payment and lawyer
                              answer the claim's status afterwards
  400 {"Errors": [...]}       the body does not fit (invalid JSON, types, codes)
  401                         missing or wrong uuid/user/password
  404 {"Errors": [...]}       unknown path, or a file number the client does not have
  409 {"Errors": [...]}       not allowed in the claim's status (already closed, in court)
  422 {"Errors": [...]}       business validation (the core's rules)
With "validate: 1" a request is checked (credentials, body, business rules) and answered
200 {"Valid": true} or 400/422, and nothing changes.

Faults, by kind (front.FAULT_KINDS), as in the SOAP front:
  latency       extra delay (5 x latency_ms, at least 200 ms), then a normal answer
  http500       HTTP 500 text/plain, nothing processed
  http503       HTTP 503 with Retry-After, nothing processed
  server_fault  HTTP 500 with the API's JSON error body, nothing processed
  drop          connection dropped mid-answer, nothing processed
  lost_response processed (a claim IS stored), then the connection is dropped mid-answer
  slow          processed, then answered after `delay_s` (default 15 s)
Operations (for inject(kind, operation) and the stats' calls): the mapping's OPERATIONS
(claim_new, claim_status, claim_close, claim_payment, claim_lawyer, claim_accounting,
account). Control endpoints: as server.py's (/_sim/stats, /_sim/claims, /_sim/faults,
/_sim/status, /_sim/advance, /_sim/reset); /_sim/claims maps ClientCustomerRefNo -> file
number.
"""
from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Callable, Mapping

from mappings import mediafinanz_rest as mapping
from mappings.mediafinanz.contract import FAULT_NOT_ALLOWED, FAULT_UNKNOWN_FILE
from mappings.mediafinanz_rest import contract, jsonwire

from .core import AgencySimulator, SimClock, SimError
from .front import (Reply, SimulatorFront, read_body, run_in_background, run_in_foreground,
                    send, waitress_server)
from .server import SimulatorHandle

# The RFC 4122 form; any UUID works, this one is easy to recognise in logs.
DEFAULT_REST_UUID = "6d1f0e2a-1001-4c6b-9a5e-000000001001"


@dataclass(frozen=True)
class RestClient:
    """A REST API account: the core's numeric client id, the user and the password."""

    client_id: int
    user: str
    password: str = field(repr=False)


DEFAULT_REST_CLIENTS: Mapping[str, RestClient] = {
    DEFAULT_REST_UUID: RestClient(1001, "dev-user-1001", "dev-password-1001"),
}
_ROUTES = [(route, route.pattern()) for route in contract.ROUTES.values()]
_JSON_UTF8 = "application/json; charset=utf-8"
_SERVER_ERROR = jsonwire.dumps(mapping.error_body(["Dienst vorübergehend nicht verfügbar"]))
_STATUS_LINE = {200: "200 OK", 201: "201 Created", 400: "400 Bad Request",
                401: "401 Unauthorized", 404: "404 Not Found",
                405: "405 Method Not Allowed", 409: "409 Conflict",
                413: "413 Payload Too Large", 415: "415 Unsupported Media Type",
                422: "422 Unprocessable Entity"}
_SIM_ERROR_STATUS = {FAULT_UNKNOWN_FILE: 404, FAULT_NOT_ALLOWED: 409}


class _Refusal(Exception):
    def __init__(self, status: int, *messages: str):
        super().__init__(status)
        self.status, self.messages = status, messages


class RestSimulatorApp(SimulatorFront):
    """WSGI: routes /_sim/*, injects faults, answers the REST API from the core."""

    operations = contract.OPERATIONS

    def __init__(self, simulator: AgencySimulator, *,
                 clients: Mapping[str, RestClient] | None = None, latency_ms: float = 0.0,
                 fail_rate: float = 0.0, seed: int = 0, slow_s: float = 15.0,
                 stop_event: threading.Event | None = None):
        super().__init__(simulator, latency_ms=latency_ms, fail_rate=fail_rate, seed=seed,
                         slow_s=slow_s, stop_event=stop_event)
        self.clients = {str(u).lower(): c for u, c in (clients or DEFAULT_REST_CLIENTS).items()}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path.startswith("/_sim/"):
            return self._control(method, path, environ, start_response)
        found = _route(path)
        if found is None:
            return _answer(start_response, 404, mapping.error_body(["Unbekannter Pfad"]))
        route, file_number = found
        if method != route.method:
            return _answer(start_response, 405,
                           mapping.error_body([f"Methode {method} nicht erlaubt"]),
                           [("Allow", route.method)])
        body = read_body(environ)
        if body is None:
            return _answer(start_response, 413, mapping.error_body(["Anfrage zu groß"]))
        operation = route.operation
        return self._with_faults(operation, start_response,
                                 lambda: self._process(operation, file_number, environ, body))

    def _process(self, operation: str, file_number: str | None, environ,
                 body: bytes) -> Reply:
        try:
            status, answer = self._handle(operation, file_number, environ, body)
        except _Refusal as refusal:
            status, answer = refusal.status, mapping.error_body(refusal.messages)
        return partial(_answer, status=status, data=answer)

    def _server_fault(self, start_response):
        return send(start_response, "500 Internal Server Error", _JSON_UTF8, _SERVER_ERROR)

    # -- the API ---------------------------------------------------------------
    def _handle(self, operation: str, file_number: str | None, environ,
                body: bytes) -> tuple[int, Any]:
        uuid, client = self._authenticate(environ)
        data = _json_body(environ, body) if operation in _WITH_BODY else None
        dry = (environ.get("HTTP_VALIDATE") or "").strip() == "1"
        sim = self.simulator
        cid = client.client_id
        if operation == "account":
            return 200, mapping.account_answer(uuid, client.user)
        if operation == "claim_new":
            reference, content = _parse(mapping.parse_new_claim, data)
            if dry:
                errors = sim.check(content)
                if errors:
                    raise _Refusal(422, *errors)
                return 200, {"Valid": True}
            number, errors, created = sim.submit(cid, content, reference)
            if number is None:
                raise _Refusal(422, *errors)
            return (201 if created else 200), mapping.new_claim_answer(number, reference)
        number = file_number or ""
        action: Callable[[], None]
        if operation == "claim_payment":
            paid_on, amount = _parse(mapping.parse_payment, data)
            if amount <= 0:
                raise _Refusal(422, "Zahlbetrag muss größer als 0 sein")
            action = partial(sim.direct_payment, cid, number, paid_on, amount)
        elif operation == "claim_lawyer":
            instruction, amounts = _parse(mapping.parse_lawyer, data)
            action = partial(sim.instruct_lawyer, cid, number, instruction, amounts)
        elif operation == "claim_close":
            action = partial(sim.close, cid, number)
        elif operation == "claim_accounting":
            summary = _core(sim.accounting, cid, number)
            return 200, mapping.accounting_answer(number, summary)
        else:  # claim_status
            return 200, self._status(cid, number)
        if dry:
            self._status(cid, number)  # an unknown file number is refused in a dry run too
            return 200, {"Valid": True}
        _core(action)
        return 200, self._status(cid, number)

    def _status(self, client_id: int, number: str) -> dict:
        code, text, details, at = _core(self.simulator.status_record, client_id, number)
        return mapping.status_answer(number, code, text, details, at)

    def _authenticate(self, environ) -> tuple[str, RestClient]:
        uuid = (environ.get("HTTP_UUID") or "").strip().lower()
        user = environ.get("HTTP_USER") or ""
        password = environ.get("HTTP_PASSWORD") or ""
        client = self.clients.get(uuid)
        # Both comparisons always run: the answer's timing says nothing about which failed.
        ok_user = hmac.compare_digest(user.encode("latin-1", "replace"),
                                      (client.user if client else "").encode("latin-1", "replace"))
        ok_password = hmac.compare_digest(
            password.encode("latin-1", "replace"),
            (client.password if client else "\0").encode("latin-1", "replace"))
        if client is None or not (ok_user and ok_password):
            raise _Refusal(401, "Authentifizierung fehlgeschlagen")
        return uuid, client


_WITH_BODY = frozenset({"claim_new", "claim_payment", "claim_lawyer"})


def _route(path: str) -> tuple[contract.Route, str | None] | None:
    for route, pattern in _ROUTES:
        match = pattern.match(path)
        if match:
            return route, match.groupdict().get("file_number")
    return None


def _json_body(environ, body: bytes) -> Any:
    media = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    if media != contract.JSON:
        raise _Refusal(415, "Content-Type application/json erwartet")
    try:
        return jsonwire.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _Refusal(400, "Ungültiges JSON") from None


def _parse(parse: Callable[[Any], Any], data: Any) -> Any:
    try:
        return parse(data)
    except mapping.BodyError as exc:  # names the field, never its value
        raise _Refusal(400, str(exc)) from None


def _core(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except SimError as exc:
        raise _Refusal(_SIM_ERROR_STATUS.get(exc.code, 409), str(exc)) from None


def _answer(start_response, status: int, data: Any, extra: list | None = None):
    return send(start_response, _STATUS_LINE.get(status, f"{status} Error"), _JSON_UTF8,
                jsonwire.dumps(data), extra)


class RestSimulatorHandle(SimulatorHandle):
    """A REST simulator running in a background thread (see start_rest_simulator).

    url       the API's base URL (http://127.0.0.1:PORT): give it to MediafinanzRestAgency
    base_url  the same (the /_sim/* endpoints hang below it)
    clients   UUID -> RestClient(client_id, user, password)
    uuid      the first client's UUID (the default development client)
    simulator the AgencySimulator (core state), app the RestSimulatorApp (WSGI)
    """

    def __init__(self, app: RestSimulatorApp, server, thread: threading.Thread, host: str,
                 port: int, clients: Mapping[str, RestClient]):
        super().__init__(app, server, thread, host, port, application_key="", clients={})
        self.url = self.base_url
        self.application_key = None
        self.clients = dict(clients)
        self.uuid = next(iter(self.clients))

    def claims(self) -> dict[str, str]:
        """Same as GET /_sim/claims: ClientCustomerRefNo -> file number."""
        return self.simulator.claims()

    def __enter__(self) -> "RestSimulatorHandle":
        return self


def _simulator(seed: int, speed: float, start: datetime | None, batch_size: int,
               clients: Mapping[str, RestClient]) -> AgencySimulator:
    # The core's SOAP clients are the REST clients' numeric ids with random keys: no SOAP
    # front runs on this core, and none of the SOAP development keys must work on it.
    return AgencySimulator(seed=seed, clock=SimClock(speed, start), batch_size=batch_size,
                           clients={c.client_id: secrets.token_hex(16)
                                    for c in clients.values()})


def start_rest_simulator(host: str = "127.0.0.1", port: int = 0, latency_ms: float = 0.0,
                         fail_rate: float = 0.0, seed: int = 0, speed: float = 0.0, *,
                         clients: Mapping[str, RestClient] | None = None, threads: int = 64,
                         batch_size: int = 100, slow_s: float = 15.0,
                         start: datetime | None = None) -> RestSimulatorHandle:
    """Run the REST front of the agency simulator in a background thread; returns once it
    accepts connections.

    As start_simulator: port 0 picks a free port, speed = simulated days per real second
    (0: the clock stands still unless handle.advance() moves it), start (aware) fixes the
    agency's calendar (reset() returns to it), a seeded fail_rate. clients maps
    UUID -> RestClient (default: DEFAULT_REST_CLIENTS). Always call handle.stop() (or use
    `with`).
    """
    clients = dict(clients or DEFAULT_REST_CLIENTS)
    simulator = _simulator(seed, speed, start, batch_size, clients)
    app = RestSimulatorApp(simulator, clients=clients, latency_ms=latency_ms,
                           fail_rate=fail_rate, seed=seed, slow_s=slow_s)
    server = waitress_server(app, host, port, threads)
    actual_port = int(server.effective_port)
    thread = run_in_background(server, f"agency-sim-rest:{actual_port}")
    return RestSimulatorHandle(app, server, thread, host, actual_port, clients)


def serve_rest(host: str = "127.0.0.1", port: int = 8091, latency_ms: float = 0.0,
               fail_rate: float = 0.0, seed: int = 0, speed: float = 1.0, *,
               clients: Mapping[str, RestClient] | None = None, threads: int = 64,
               on_ready: Callable[[str], None] | None = None,
               start: datetime | None = None) -> None:
    """Run the REST simulator in the foreground until interrupted (`gateway agency-sim
    --api rest`)."""
    clients = dict(clients or DEFAULT_REST_CLIENTS)
    simulator = _simulator(seed, speed, start, 100, clients)
    app = RestSimulatorApp(simulator, clients=clients, latency_ms=latency_ms,
                           fail_rate=fail_rate, seed=seed)
    server = waitress_server(app, host, port, threads)
    if on_ready is not None:
        on_ready(f"http://{host}:{server.effective_port}")
    run_in_foreground(app, server)
