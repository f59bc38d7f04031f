"""No value of a request reaches a fault message or a log line: a unique marker (and a
debtor's street sent in the country field) in every field of every operation, in every
place a client can put one, answered by the zero-config in-process facade and by a
production-style `gateway serve` (gunicorn workers) in a process of its own."""
from __future__ import annotations

import base64
import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager

import requests
import structlog

from gateway import logs
from gateway.service.shops import add_shop
from tests.factories import wall_today

from .conftest import MAX_BODY, PASSWORDS
from .raw_soap import ENV, NS, claim_fields, request
from .test_serve_workers import free_port

TODAY = wall_today()
STREET = "Geheimweg 12"


def hostile_requests(marker: str) -> list[tuple[str, bytes, dict]]:
    """(what, body, requests options) for every place a value can travel in."""
    odd = f"{marker}'\"<&>"  # quotes and markup: escaped in XML, must not survive either
    every = dict.fromkeys(("claimType", "reason", "principal", "dunningFees", "currency",
                           "dateOfOrigin", "dueDate", "dateOfLastReminder", "note",
                           "counterPerformanceRendered"), odd)
    debtor_every = dict.fromkeys(("kind", "salutation", "firstName", "lastName", "company",
                                  "legalForm", "careOf", "houseNumber", "postcode", "city",
                                  "email", "phone", "mobile", "dateOfBirth", "customerId"), odd)
    schema_bad = claim_fields(marker, TODAY, **every,
                              debtor=dict(debtor_every, street=STREET, country=STREET + marker))
    domain_bad = claim_fields(marker, TODAY, currency=odd, reason=odd, note=odd, debtor={
        "firstName": odd, "lastName": odd, "company": odd, "legalForm": odd, "careOf": odd,
        "street": STREET, "houseNumber": marker, "postcode": odd, "city": odd,
        "country": STREET, "email": odd, "phone": odd, "mobile": odd, "customerId": odd})
    batch = [("claim", [("shopClaimId", "H-1")] + claim[1:])
             for claim in (schema_bad, domain_bad)]
    reqs = []
    for style in ("prefixed", "default", "mixed"):
        reqs += [(f"schema errors everywhere ({style})",
                  request("SubmitClaim", [("claim", schema_bad)], style), {}),
                 (f"domain errors everywhere ({style})",
                  request("SubmitClaim", [("claim", domain_bad)], style), {}),
                 (f"batch ({style})", request("SubmitClaims", [("claims", batch)], style), {})]
    for op in ("GetClaim", "GetClaimHistory", "CheckCourtDunningOrder", "CancelClaim"):
        reqs.append((f"{op} of an unknown id", request(op, [("shopClaimId", odd)]), {}))
    reqs += [
        ("payment", request("ReportDirectPayment", [("shopClaimId", odd), ("paidOn", odd),
                                                    ("amount", odd)]), {}),
        ("payment of an unknown id", request("ReportDirectPayment", [
            ("shopClaimId", odd), ("paidOn", TODAY.isoformat()), ("amount", "1.00")]), {}),
        ("dunning", request("RequestCourtDunningOrder", [
            ("shopClaimId", odd), ("instruction", odd), ("requestedBy", odd), ("note", odd)]), {}),
        ("changes", request("ListClaimChanges", [("since", odd), ("limit", odd)]), {}),
        ("changes cursor", request("ListClaimChanges", [("since", odd)]), {}),
        ("wrong namespace", request("GetClaim", [("shopClaimId", "X")]).replace(
            f'xmlns:t="{NS}"'.encode(), f'xmlns:t="urn:{marker}"'.encode()), {}),
        ("not well-formed", request("GetClaim", [("shopClaimId", odd)])[:-40], {}),
        ("not UTF-8", request("GetClaim", [("shopClaimId", "X")]).replace(
            b">X<", f">{marker}\u00fc{marker}<".encode("latin-1")), {}),
        ("SOAP 1.2", request("GetClaim", [("shopClaimId", odd)]).replace(
            ENV.encode(), b"http://www.w3.org/2003/05/soap-envelope"), {}),
        ("two operations", request("GetClaim", [("shopClaimId", odd)]).replace(
            b"</soap:Body>", f"<t:GetClaim>{marker}</t:GetClaim></soap:Body>".encode()), {}),
        ("attribute and xsi:type", request("GetClaim", [("shopClaimId", "X")]).replace(
            b"<t:shopClaimId>", f'<t:shopClaimId a="{marker}" xsi:type="{marker}">'.encode()),
         {}),
        ("text in the operation", request("GetClaim", [("shopClaimId", "X")]).replace(
            b"<t:shopClaimId>", f"{marker}<t:shopClaimId>".encode()), {}),
        ("too large", request("GetClaim", [("shopClaimId", marker * (MAX_BODY // 10))]), {}),
        ("wrong password", request("GetClaim", [("shopClaimId", "X")]),
         {"auth": ("shop-a", marker)}),
        ("unknown shop", request("GetClaim", [("shopClaimId", "X")]),
         {"auth": (marker, marker)}),
        ("UsernameToken", _with_token(request("GetClaim", [("shopClaimId", "X")]), marker),
         {"auth": None}),
    ]
    return reqs


def _with_token(body: bytes, marker: str) -> bytes:
    wsse = ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd")
    header = (f'<soap:Header><wsse:Security xmlns:wsse="{wsse}"><wsse:UsernameToken>'
              f"<wsse:Username>{marker}</wsse:Username><wsse:Password>{marker}</wsse:Password>"
              f"<wsse:Nonce>{base64.b64encode(marker.encode()).decode()}</wsse:Nonce>"
              "</wsse:UsernameToken></wsse:Security></soap:Header>")
    return body.replace(b"<soap:Body>", header.encode() + b"<soap:Body>")


def send_all(endpoint: str, marker: str, password: str) -> list[str]:
    """Posts every hostile request (and a Conflict on a claim whose id is the marker);
    returns what went wrong: a fault or item error that repeats a value."""
    leaks = []
    session = requests.Session()

    def post(body: bytes, auth=("shop-a", password)) -> requests.Response:
        return session.post(endpoint, data=body, auth=auth, timeout=20,
                            headers={"Content-Type": "text/xml; charset=utf-8"})

    for what, body, options in hostile_requests(marker):
        answer = post(body, **options)
        # Faults answer 500; a batch answers 200 with item errors; anything else is no
        # answer to a hostile request (a stored claim would echo its values, rightly).
        assert answer.status_code in (200, 401, 500), (what, answer.status_code)
        if answer.status_code == 200:
            assert b"<tns:receipt>" not in answer.content, (what, answer.content[:300])
        for value in (marker, "Geheimweg"):
            if value.encode() in answer.content:
                leaks.append(f"{what}: {value} in {answer.content[:400]!r}")
    # A Conflict on a claim that exists: its message must not quote the claim's id.
    good = request("SubmitClaim", [("claim", claim_fields(marker, TODAY))])
    assert post(good).status_code == 200
    conflict = post(good.replace(b"149.90", b"150.00"))
    assert b"Client.Conflict" in conflict.content
    if marker.encode() in conflict.content:
        leaks.append(f"conflict: {conflict.content[:400]!r}")
    return leaks


def assert_no_value_in(log_text: str, marker: str) -> None:
    for value in (marker, "Geheimweg"):
        lines = [line for line in log_text.splitlines() if value in line]
        assert not lines, "\n".join(lines[:5])


@contextmanager
def saved_logging():
    """Whatever the test does to logging (structlog, root handlers, levels) is undone."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: lg.level for name, lg in logging.root.manager.loggerDict.items()
              if isinstance(lg, logging.Logger)}
    config = structlog.get_config()
    try:
        yield
    finally:
        structlog.configure(**config)
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)


def test_zero_config_facade_repeats_no_value(facade, capfd):
    """Nothing configured logging (an app embedding the facade, a test): structlog's
    defaults print, the root logger has no handler, no library's level was set."""
    marker = f"Zq{uuid.uuid4().hex[:12]}"
    with saved_logging():
        structlog.reset_defaults()
        root = logging.getLogger()
        root.handlers[:] = []  # not even pytest's: Python's last resort prints to stderr
        root.setLevel(logging.WARNING)
        for lg in list(logging.root.manager.loggerDict.values()):
            if isinstance(lg, logging.Logger):
                lg.setLevel(logging.NOTSET)  # as in a process that configured nothing
        leaks = send_all(facade.endpoint, marker, PASSWORDS["shop-a"])
        out, err = capfd.readouterr()
    assert not leaks, "\n".join(leaks)
    printed = out + err
    assert "fault=Client.ValidationError" in printed and "fault=Client.NotFound" in printed
    assert_no_value_in(printed, marker)
    assert "Traceback" not in printed and "Fault(" not in printed, printed[-3000:]


def test_configured_facade_logs_every_fault_once_at_info_without_values(facade):
    marker = f"Zq{uuid.uuid4().hex[:12]}"
    stream = io.StringIO()
    with saved_logging():
        logs.configure("debug", "json", stream=stream)
        leaks = send_all(facade.endpoint, marker, PASSWORDS["shop-a"])
    assert not leaks, "\n".join(leaks)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert_no_value_in(stream.getvalue(), marker)
    faults = [line for line in lines if line.get("fault")]
    assert {line["fault"] for line in faults} >= {
        "Client.ValidationError", "Client.NotFound", "Client.Conflict",
        "Client.MalformedRequest", "Client.RequestTooLarge", "Client.AuthenticationFailed"}
    assert {line["level"] for line in faults} == {"info"}
    assert not [line for line in lines if line.get("logger", "").startswith("spyne")]
    assert not [line for line in lines if line["level"] in ("error", "critical")]
    domain = next(line for line in faults if line.get("operation") == "SubmitClaim"
                  and "claim.currency" in (line.get("fields") or []))
    assert "claim.debtor.country" in domain["fields"] and domain["reason"] is None
    conflict = next(line for line in faults if line["fault"] == "Client.Conflict")
    assert conflict["reason"] == "SHOP_CLAIM_ID_TAKEN"


def test_production_style_serve_repeats_no_value(gateway, db_url, tmp_path):
    """`gateway serve --workers 2` (gunicorn) on the test database, its own processes
    configured as in production (JSON logs), stdout and stderr captured whole."""
    password = "password-of-the-hostile-shop"
    add_shop(gateway.uow, "shop-a", password=password, seat="BY")
    port = free_port()
    env = dict(os.environ, GATEWAY_DATABASE_URL=db_url, GATEWAY_RUN_WORKER="false",
               GATEWAY_RUN_SIMULATOR="false", GATEWAY_SYNC_INTERVAL_S="0",
               GATEWAY_LOG_FORMAT="json", GATEWAY_LOG_LEVEL="debug",
               GATEWAY_SERVER_THREADS="4", GATEWAY_MAX_BODY_BYTES=str(MAX_BODY))
    out_path, err_path = tmp_path / "serve.out", tmp_path / "serve.err"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        server = subprocess.Popen([sys.executable, "-m", "gateway", "serve", "--workers", "2",
                                   "--port", str(port)], env=env, stdout=out, stderr=err,
                                  cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    marker = f"Zq{uuid.uuid4().hex[:12]}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(base + "/healthz", timeout=5)
                break
            except requests.RequestException:
                assert server.poll() is None and time.monotonic() < deadline, \
                    err_path.read_text()
                time.sleep(0.2)
        leaks = send_all(base + "/soap/shop", marker, password)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(60)
    printed = out_path.read_text() + err_path.read_text()
    assert not leaks, "\n".join(leaks)
    assert '"fault": "Client.ValidationError"' in printed, printed[-2000:]
    assert_no_value_in(printed, marker)
    assert "Traceback" not in printed, printed[-3000:]
    assert '"level": "error"' not in printed, printed[-3000:]
