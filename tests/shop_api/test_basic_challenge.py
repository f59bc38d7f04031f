"""HTTP Basic's challenge: a request without any credentials gets 401 with
WWW-Authenticate, so clients that send credentials only when asked (suds' default, urllib,
.NET without PreAuthenticate) log in; wrong credentials stay the SOAP fault (HTTP 500);
the WSDL stays open."""
from __future__ import annotations

import urllib.error
import urllib.request

import requests
from requests.auth import HTTPBasicAuth
from sqlalchemy import func, select

from gateway.shop_api import wsgi
from gateway.store import tables

from .conftest import PASSWORDS
from .test_login_throttle import AUTH, LIST
from .test_operations import claim
from .test_security import fault_code_of

CHALLENGE = 'Basic realm="inkasso-gateway"'
XML = {"Content-Type": "text/xml; charset=utf-8"}


def test_no_credentials_get_401_with_the_challenge_and_the_fault(facade):
    faults_before = wsgi.FAULTS.value(code=AUTH)
    response = requests.post(facade.endpoint, data=LIST, headers=XML, timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    assert response.headers["Content-Type"].startswith("text/xml")
    assert fault_code_of(response) == AUTH
    assert wsgi.FAULTS.value(code=AUTH) == faults_before + 1
    # Another scheme than Basic is no credentials the facade knows: challenged too.
    bearer = requests.post(facade.endpoint, data=LIST, timeout=10,
                           headers={**XML, "Authorization": "Bearer abc"})
    assert (bearer.status_code, bearer.headers.get("WWW-Authenticate")) == (401, CHALLENGE)
    # The WSDL needs no credentials.
    wsdl = requests.get(facade.endpoint + "?wsdl", timeout=10)
    assert wsdl.status_code == 200 and b"definitions" in wsdl.content


def test_wrong_credentials_stay_a_fault_without_a_challenge(facade):
    response = requests.post(facade.endpoint, data=LIST, headers=XML, timeout=10,
                             auth=("shop-a", "wrong"))
    assert response.status_code == 500 and fault_code_of(response) == AUTH
    assert "WWW-Authenticate" not in response.headers


def test_requests_answers_the_challenge_with_http_basic_auth(facade):
    first = requests.post(facade.endpoint, data=LIST, headers=XML, timeout=10)
    scheme, _, realm = first.headers["WWW-Authenticate"].partition(" ")
    assert (first.status_code, scheme, realm) == (401, "Basic", 'realm="inkasso-gateway"')
    second = requests.post(facade.endpoint, data=LIST, headers=XML, timeout=10,
                           auth=HTTPBasicAuth("shop-a", PASSWORDS["shop-a"]))
    assert second.status_code == 200 and b"ListClaimChangesResponse" in second.content


def test_urllib_sends_credentials_only_when_challenged(facade):
    """urllib's HTTPBasicAuthHandler (what suds uses) sends nothing until a 401 asks."""
    plain = urllib.request.Request(facade.endpoint, data=LIST, headers=XML)
    try:
        urllib.request.urlopen(plain, timeout=10)
        raise AssertionError("no 401")
    except urllib.error.HTTPError as exc:
        assert exc.code == 401 and exc.headers["WWW-Authenticate"] == CHALLENGE
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, facade.endpoint, "shop-b", PASSWORDS["shop-b"])
    opener = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(passwords))
    with opener.open(urllib.request.Request(facade.endpoint, data=LIST, headers=XML),
                     timeout=10) as answer:
        assert answer.status == 200 and b"ListClaimChangesResponse" in answer.read()


def test_suds_with_its_default_challenge_response_basic_auth(facade):
    from suds.client import Client

    facade.client("shop-a").service.SubmitClaim(claim=claim("SUDS-1"))
    client = Client(facade.endpoint + "?wsdl", username="shop-a",
                    password=PASSWORDS["shop-a"], timeout=10)
    result = client.service.ListClaimChanges(limit=10)
    assert [c.shopClaimId for c in result.changes.change] == ["SUDS-1"]


def test_challenges_are_not_failed_logins(facade):
    for _ in range(30):
        assert requests.post(facade.endpoint, data=LIST, headers=XML,
                             timeout=10).status_code == 401
    with facade.gateway.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tables.login_failures))\
            .scalar_one() == 0
    assert requests.post(facade.endpoint, data=LIST, headers=XML, timeout=10,
                         auth=("shop-a", PASSWORDS["shop-a"])).status_code == 200
