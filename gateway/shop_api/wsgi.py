"""The facade's WSGI app: /soap/shop (SOAP + ?wsdl), /healthz, /metrics.

Per request: a correlation id (X-Correlation-Id in and out), hardened parsing,
authentication, schema validation, then Spyne; an access log line without bodies;
request, fault and latency metrics. Nothing escapes as a bare 500 with a traceback.
"""
from __future__ import annotations

import re
import time
from typing import Any, Iterable

from spyne.server.wsgi import WsgiApplication
from sqlalchemy import text

from gateway import logs, metrics
from gateway.service.passwords import PasswordCheckBusy

from . import auth, faults, hardening
from .service import (ENVELOPE_KEY, FAULT_KEY, OPERATIONS, SHOP_ID_KEY, build_application,
                      interface_document, own_spyne_logging)

SOAP_PATH = "/soap/shop"
REALM = "inkasso-gateway"
_FAULTCODE = re.compile(rb"<faultcode>(?:[\w.-]+:)?([\w.]+)</faultcode>")
_CID = re.compile(r"^[\w.-]{1,64}$")

log = logs.get_logger("gateway.shop_api")
access_log = logs.get_logger("gateway.shop_api.access")

REQUESTS = metrics.counter("gateway_soap_requests_total", "SOAP requests by operation and outcome",
                           ("operation", "outcome"))
FAULTS = metrics.counter("gateway_soap_faults_total", "SOAP faults by fault code", ("code",))
LATENCY = metrics.histogram("gateway_soap_request_seconds", "SOAP request latency",
                            ("operation",))


class ShopApp:
    """WSGI callable. Build once per process (it builds the WSDL and schema at start-up)."""

    def __init__(self, gateway: Any, *, advertised_url: str | None = None,
                 secret_key: str | None = None, authenticator: auth.Authenticator | None = None):
        settings = gateway.settings
        own_spyne_logging()  # before Spyne answers anything: its fault log lines quote requests
        self.gateway = gateway
        self.max_body = settings.max_body_bytes
        self.max_batch_body = settings.max_batch_body_bytes
        self.metrics_enabled = settings.metrics_enabled
        self.spyne_app = build_application(gateway)
        self.spyne = WsgiApplication(self.spyne_app)
        base = (advertised_url or settings.advertised_url).rstrip("/")
        self.endpoint = base + SOAP_PATH
        # The interface document comes from configuration, never from a request's Host.
        self.wsdl = interface_document(self.spyne_app, self.endpoint)
        self.validator = hardening.Validator(self.wsdl)
        if secret_key is None:
            secret_key = settings.secret_key or None  # GATEWAY_SECRET_KEY or the config file
        self.auth = authenticator or auth.Authenticator(gateway, secret_key)

    # -- WSGI ------------------------------------------------------------------------
    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        cid = environ.get("HTTP_X_CORRELATION_ID") or ""
        cid = logs.bind_correlation_id(cid if _CID.match(cid) else None)
        started = time.perf_counter()
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        operation, shop, code, noted = "-", None, None, None
        try:
            if path == "/healthz":
                status, headers, body = self._health()
            elif path == "/metrics" and self.metrics_enabled:
                status, headers, body = ("200 OK", [("Content-Type",
                                         "text/plain; version=0.0.4; charset=utf-8")],
                                         metrics.REGISTRY.render().encode())
            elif path.rstrip("/") != SOAP_PATH:
                status, headers, body = _plain("404 Not Found", "not found")
            elif method == "GET":
                status, headers, body = "200 OK", [("Content-Type", "text/xml; charset=utf-8")], \
                    self.wsdl
            elif method != "POST":
                status, headers, body = _plain("405 Method Not Allowed",
                                               "POST a SOAP 1.1 envelope; GET ?wsdl for the WSDL")
            else:
                operation, shop, status, headers, body, noted = self._soap(environ)
                code = _fault_code(status, body)
        except Exception as exc:  # noqa: BLE001 - last line of defence: a fault, no traceback
            log.error("unhandled error", error=type(exc).__name__, operation=operation)
            code = faults.INTERNAL
            status, headers, body = _fault_answer(code, "internal error; the gateway logged it "
                                                  f"under correlation id {cid}")
        elapsed = time.perf_counter() - started
        if path.rstrip("/") == SOAP_PATH and method == "POST":
            REQUESTS.inc(operation=operation, outcome="fault" if code else "ok")
            LATENCY.observe(elapsed, operation=operation)
            if code:
                FAULTS.inc(code=code)
        # The facade's one line per request, also for every fault it answers: code, reason
        # and the paths of refused fields, never a value (client faults are no errors of
        # the gateway: INFO; Spyne's own lines about them are dropped, see service).
        reason, fields = noted or (None, None)
        access_log.info("request", method=method, path=path, operation=operation,
                        shop=shop, status=int(status[:3]), fault=code, reason=reason,
                        fields=fields, ms=round(elapsed * 1000, 2), bytes_out=len(body))
        headers = headers + [("Content-Length", str(len(body))), ("X-Correlation-Id", cid)]
        start_response(status, headers)
        return [body]

    def _soap(self, environ: dict):
        """(operation, shop, status, headers, body, (reason, field paths) of a fault)."""
        operation, shop = "-", None
        try:
            raw = hardening.read_body(environ, self.max_body, self.max_batch_body)
            request = hardening.parse(raw, OPERATIONS, self.max_body)
            operation = request.operation
            shop = self._authenticate(environ, request)
            extra: dict = {SHOP_ID_KEY: shop, ENVELOPE_KEY: request.envelope}
            errors = self.validator.errors(request.element)
            if errors and operation == hardening.BATCH_OPERATION:
                # One bad item must not fail the others: take the items the schema refuses
                # out of the batch and answer them as item errors.
                raw, errors = hardening.split_batch(request, errors, extra)
            if errors:
                raise hardening.Refused(faults.VALIDATION, faults.validation_message(errors),
                                        errors)
        except hardening.Refused as refused:
            detail = faults.detail(refused.code, refused.reason, refused.errors)
            noted = _noted(refused.reason or faults.default_reason(refused.code),
                           refused.errors)
            answer = _fault_answer(refused.code, refused.message, detail)
            if getattr(refused, "challenge", False):  # no credentials at all: HTTP 401
                answer = _challenge(*answer)
            return (operation, shop) + answer + (noted,)
        env = hardening.spyne_environ(environ, raw, extra)
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = b"".join(self.spyne(env, capture))
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        fault = env.get(FAULT_KEY)
        noted = None if fault is None else _noted(fault.reason, fault.field_errors)
        return operation, shop, captured["status"], headers, body, noted

    def _authenticate(self, environ: dict, request: hardening.Request) -> str:
        try:
            creds = auth.from_ws_security(request.envelope) or \
                auth.from_basic(environ.get("HTTP_AUTHORIZATION"))
            if creds is None:
                raise auth.NoCredentials("no credentials")
            return self.auth.authenticate(creds, environ)
        except auth.NoCredentials:
            # HTTP Basic's challenge (401, WWW-Authenticate): clients that send credentials
            # only when asked (suds, .NET without PreAuthenticate) send them now. Wrong
            # credentials stay the fault (HTTP 500): see auth.NoCredentials.
            refused = hardening.Refused(faults.AUTHENTICATION, faults.AUTH_MESSAGE)
            refused.challenge = True
            raise refused from None
        except auth.AuthenticationFailed as exc:
            # The reason goes to the log only; the caller learns nothing about which part.
            log.info("authentication failed", reason=str(exc), operation=request.operation)
            raise hardening.Refused(faults.AUTHENTICATION, faults.AUTH_MESSAGE) from None
        except PasswordCheckBusy:
            log.warning("authentication busy: no password check slot in time",
                        operation=request.operation)
            raise hardening.Refused(faults.UNAVAILABLE, "the gateway is busy checking "
                                    "passwords; retry in a moment", reason="OVERLOADED") from None
        except Exception as exc:  # noqa: BLE001 - database down while checking credentials
            log.error("authentication unavailable", error=type(exc).__name__)
            raise hardening.Refused(faults.UNAVAILABLE, "the gateway cannot check credentials "
                                    "right now; retry later") from None

    def _health(self):
        try:
            with self.gateway.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - report, do not raise
            log.warning("health check failed", error=type(exc).__name__)
            return _json("503 Service Unavailable", '{"status": "unavailable", "database": "down"}')
        return _json("200 OK", '{"status": "ok", "database": "up"}')


def _fault_answer(code: str, message: str, detail=None):
    return ("500 Internal Server Error", [("Content-Type", "text/xml; charset=utf-8")],
            faults.envelope(code, message, detail))


def _challenge(status: str, headers: list, body: bytes):
    return ("401 Unauthorized", headers + [("WWW-Authenticate", f'Basic realm="{REALM}"')],
            body)


def _noted(reason: str | None, errors) -> tuple[str | None, list[str] | None]:
    return reason, [e.path for e in errors] or None


def _fault_code(status: str, body: bytes) -> str | None:
    if not status.startswith(("500", "401")):
        return None
    match = _FAULTCODE.search(body[:2048])
    return match.group(1).decode() if match else faults.INTERNAL


def _plain(status: str, message: str):
    return status, [("Content-Type", "text/plain; charset=utf-8")], message.encode()


def _json(status: str, body: str):
    return status, [("Content-Type", "application/json")], body.encode()


def build_wsgi_app(gateway: Any, **options: Any) -> ShopApp:
    return ShopApp(gateway, **options)
