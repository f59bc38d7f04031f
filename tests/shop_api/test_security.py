"""Authentication (Basic, UsernameToken text and digest, replays, stale tokens), hostile input,
Server.Unavailable, and no debtor data in the logs."""
from __future__ import annotations

import io
import re
from contextlib import contextmanager
from functools import partial
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Iterator

import pytest
import requests
from zeep.wsse.username import UsernameToken

from gateway import logs
from gateway.store.database import make_engine
from gateway.store.unit_of_work import SqlUnitOfWork

from .conftest import MAX_BATCH_BODY, MAX_BODY, PASSWORDS, serve
from .test_operations import claim, code, fault_of

NS = "urn:inkasso-gateway:shop:v1"
ENV = "http://schemas.xmlsoap.org/soap/envelope/"
AUTH_MESSAGE = "authentication failed: check the shop id and password (or UsernameToken)"


def envelope(inner: str, ns: str = NS) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{ENV}" xmlns:t="{ns}">'
            f"<s:Body>{inner}</s:Body></s:Envelope>").encode()


def fault_code_of(response: requests.Response) -> str:
    match = re.search(rb"<faultcode>(?:\w+:)?([\w.]+)</faultcode>", response.content)
    assert match, response.content[:300]
    return match.group(1).decode()


# -- authentication ------------------------------------------------------------------------
def test_wrong_credentials_never_say_which_part(facade):
    faults = [fault_of(facade.client("shop-a", "wrong-password").service.GetClaim, "X"),
              fault_of(facade.client("no-such-shop", "password-of-shop-a").service.GetClaim, "X"),
              fault_of(facade.client(None).service.GetClaim, "X"),
              fault_of(facade.client(wsse=UsernameToken("shop-a", "nope")).service.GetClaim, "X")]
    assert {code(f) for f in faults} == {"Client.AuthenticationFailed"}
    assert {f.message for f in faults} == {AUTH_MESSAGE}


def test_password_text_token_and_basic(facade):
    text = facade.client(wsse=UsernameToken("shop-b", PASSWORDS["shop-b"]))
    assert text.service.SubmitClaim(claim=claim("T-1")).created
    assert facade.client("shop-b").service.GetClaim("T-1").state == "RECEIVED"
    assert code(fault_of(facade.client("shop-a").service.GetClaim, "T-1")) == "Client.NotFound"


def test_password_digest_with_nonce_and_created(facade):
    secret = facade.digest_secret("shop-a")
    token = UsernameToken("shop-a", secret, use_digest=True)  # fresh nonce per call
    client = facade.client(wsse=token)
    assert client.service.SubmitClaim(claim=claim("D-1")).created
    assert client.service.GetClaim("D-1").state == "RECEIVED"
    # The login password is not the digest secret.
    wrong = facade.client(wsse=UsernameToken("shop-a", PASSWORDS["shop-a"], use_digest=True))
    assert code(fault_of(wrong.service.GetClaim, "D-1")) == "Client.AuthenticationFailed"


def test_replayed_digest_token_is_refused(facade):
    secret = facade.digest_secret("shop-a")
    fixed = UsernameToken("shop-a", secret, use_digest=True, nonce="fixed-nonce-123",
                          created=datetime.now(timezone.utc))
    client = facade.client(wsse=fixed)
    client.service.SubmitClaim(claim=claim("R-1"))
    replay = fault_of(client.service.GetClaim, "R-1")
    assert code(replay) == "Client.AuthenticationFailed" and replay.message == AUTH_MESSAGE
    # The nonce is stored in the database: another process (here: another app) refuses it too.
    base_url, _app, stop = serve(facade.gateway, secret_key="test-secret-key-for-password-digest")
    try:
        response = requests.post(base_url + "/soap/shop", data=_signed_get(fixed), timeout=10,
                                 headers={"Content-Type": "text/xml"})
        assert fault_code_of(response) == "Client.AuthenticationFailed"
    finally:
        stop()


def _signed_get(token: UsernameToken) -> bytes:
    from lxml import etree

    env = etree.fromstring(envelope("<t:GetClaim><t:shopClaimId>R-1</t:shopClaimId></t:GetClaim>"))
    header = etree.Element(f"{{{ENV}}}Header")
    env.insert(0, header)
    token.apply(env, header)
    return etree.tostring(env)


@pytest.mark.parametrize("age", [timedelta(minutes=6), -timedelta(minutes=5)])
def test_stale_or_future_token_is_refused(facade, age):
    secret = facade.digest_secret("shop-a")
    token = UsernameToken("shop-a", secret, use_digest=True,
                          created=datetime.now(timezone.utc) - age)
    fault = fault_of(facade.client(wsse=token).service.ListClaimChanges)
    assert code(fault) == "Client.AuthenticationFailed"
    fresh = UsernameToken("shop-a", secret, use_digest=True,
                          created=datetime.now(timezone.utc) - timedelta(minutes=4))
    assert facade.client(wsse=fresh).service.ListClaimChanges().nextCursor


# -- hostile input ---------------------------------------------------------------------------
GET = "<t:GetClaim><t:shopClaimId>X</t:shopClaimId></t:GetClaim>"


@pytest.mark.parametrize("body, expected", [
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>' + envelope(GET)[38:],
     "Client.MalformedRequest"),
    (b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><lolz>&lol2;</lolz>',
     "Client.MalformedRequest"),
    (envelope(GET)[:-20], "Client.MalformedRequest"),  # malformed XML
    (b"", "Client.MalformedRequest"),
    (envelope(GET, ns="urn:someone-else"), "Client.MalformedRequest"),  # wrong namespace
    (envelope("<t:DeleteEverything/>"), "Client.MalformedRequest"),  # unknown operation
    (envelope(GET).replace(ENV.encode(), b"http://www.w3.org/2003/05/soap-envelope"),
     "Client.MalformedRequest"),  # SOAP 1.2
])
def test_hostile_input_gets_a_client_fault(facade, body, expected):
    response = facade.post(body)
    assert response.status_code == 500 and response.headers["Content-Type"].startswith("text/xml")
    assert fault_code_of(response) == expected
    assert b"Traceback" not in response.content


def test_doctype_is_refused_before_authentication(facade):
    response = requests.post(facade.endpoint, data=b"<!DOCTYPE x []>" + envelope(GET)[38:],
                             timeout=10)
    assert fault_code_of(response) == "Client.MalformedRequest"
    assert b"DOCTYPE" in response.content


def test_oversize_body_is_refused_by_content_length(facade):
    big = envelope(GET.replace("X", "X" * MAX_BODY))
    response = facade.post(big)
    assert fault_code_of(response) == "Client.RequestTooLarge"
    assert str(MAX_BODY).encode() in response.content


def test_oversize_chunked_body_is_refused(facade):
    big = envelope(GET.replace("X", "X" * (2 * MAX_BODY)))
    chunks = (big[i:i + 4096] for i in range(0, len(big), 4096))  # a generator: chunked
    response = facade.post(chunks)
    assert fault_code_of(response) == "Client.RequestTooLarge"


def test_submit_claims_gets_the_larger_limit(facade):
    items = "".join(f"<t:claim><t:shopClaimId>L-{i}</t:shopClaimId>" + "</t:claim>"
                    for i in range(1))
    padding = "<!--" + "p" * (MAX_BODY + 10) + "-->"
    body = envelope(f"<t:SubmitClaims><t:claims>{items}</t:claims>{padding}</t:SubmitClaims>")
    assert MAX_BODY < len(body) < MAX_BATCH_BODY
    # Over the normal limit but under the batch limit: parsed and answered (an item error).
    answer = facade.post(body)
    assert answer.status_code == 200, answer.content[:300]
    assert b"<tns:code>Client.ValidationError</tns:code>" in answer.content
    huge = body.replace(b"ppp", b"p" * (MAX_BATCH_BODY - len(body) + 13), 1)
    assert MAX_BATCH_BODY < len(huge) < MAX_BATCH_BODY + 1024
    assert fault_code_of(facade.post(huge)) == "Client.RequestTooLarge"


@contextmanager
def without_database(facade) -> Iterator[str]:
    """The base URL of a second facade for the same shops whose database is gone."""
    from gateway.app import Gateway

    settings = facade.gateway.settings.replace(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    engine = make_engine(settings.database_url)
    # app.build would refuse to start; the facade must cope when the database goes away later.
    down = Gateway(settings, engine, uow=partial(SqlUnitOfWork, engine),
                   read_uow=partial(SqlUnitOfWork, engine, read_only=True))
    base_url, _app, stop = serve(down)
    try:
        yield base_url
    finally:
        stop()
        engine.dispose()


def test_database_down_answers_server_unavailable(facade):
    with without_database(facade) as base_url:
        response = requests.post(base_url + "/soap/shop", data=envelope(GET), timeout=20,
                                 auth=("shop-a", PASSWORDS["shop-a"]))
        assert fault_code_of(response) == "Server.Unavailable"
        assert requests.get(base_url + "/healthz", timeout=20).status_code == 503


# -- logs --------------------------------------------------------------------------------------
def test_no_debtor_data_in_logs_on_a_validation_error(facade):
    stream = io.StringIO()
    logs.configure("debug", "json", stream=stream)
    try:
        client = facade.client()
        bad = claim(principal=Decimal("1.001"), debtor={
            "lastName": "Schnabelschnütz", "street": "Geheimweg", "postcode": "9",
            "email": "geheim.person@example.org", "city": "Kleinkleckersdorf"})
        assert code(fault_of(client.service.SubmitClaim, claim=bad)) == "Client.ValidationError"
        bad = claim(debtor={"lastName": "Schnabelschnütz", "street": "Geheimweg",
                            "postcode": "9", "email": "geheim.person@example.org",
                            "city": "Kleinkleckersdorf"})
        assert code(fault_of(client.service.SubmitClaim, claim=bad)) == "Client.ValidationError"
        facade.post("<!DOCTYPE x []><Schnabelschnütz/>".encode())
        facade.post(envelope(GET)[:-20].replace(b"X", "Schnabelschnütz".encode()))
    finally:
        logs.configure("info", "json")
    text = stream.getvalue()
    assert '"operation": "SubmitClaim"' in text  # the log did capture the requests
    for secret in ("Schnabelschnütz", "Geheimweg", "geheim.person", "Kleinkleckersdorf",
                   "Jürgen"):
        assert secret not in text, secret
