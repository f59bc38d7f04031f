"""The published contract (committed WSDL), its shape for WS-I clients, /healthz and /metrics."""
from __future__ import annotations

import requests
from lxml import etree

from gateway.shop_api import contract

from .test_operations import claim, fault_of

XS = "{http://www.w3.org/2001/XMLSchema}"
WSDL = "{http://schemas.xmlsoap.org/wsdl/}"


def test_committed_wsdl_equals_the_generated_one():
    assert contract.generated() == contract.committed(), (
        "the shop contract changed: review it, then run `python -m gateway.shop_api.contract`")


def test_wsdl_is_ws_i_friendly():
    root = etree.fromstring(contract.committed())
    assert root.get("targetNamespace") == "urn:inkasso-gateway:shop:v1"
    text = contract.committed().decode()
    assert "arrayType" not in text and 'use="encoded"' not in text  # no SOAP-encoded arrays
    assert 'style="document"' in text and 'use="literal"' in text
    for el in root.iter(f"{XS}element"):
        if el.getparent().tag == f"{XS}sequence":
            assert el.get("minOccurs") is not None or el.get("maxOccurs") is None
    decimals = {el.get("name") for el in root.iter(f"{XS}simpleType")
                if el.find(f"{XS}restriction").get("base") == "xs:decimal"}
    assert "Claim_principalType" in decimals
    ops = {op.get("name"): [f.get("name") for f in op.findall(f"{WSDL}fault")]
           for op in root.find(f"{WSDL}portType").findall(f"{WSDL}operation")}
    assert set(ops) == {"SubmitClaim", "SubmitClaims", "GetClaim", "GetClaimHistory",
                        "ListClaimChanges", "CancelClaim", "ReportDirectPayment",
                        "CheckCourtDunningOrder", "RequestCourtDunningOrder"}
    assert "DunningRefused" in ops["RequestCourtDunningOrder"]
    assert {"AuthenticationFailed", "ValidationError", "Unavailable"} <= set(ops["GetClaim"])
    address = root.find(f"{WSDL}service/{WSDL}port/"
                        "{http://schemas.xmlsoap.org/wsdl/soap/}address").get("location")
    assert address == "https://gateway.example/soap/shop"


def test_committed_wsdl_is_what_a_deployment_publishes(facade):
    """Byte for byte: the document a facade serves for the committed base URL, with SOAP
    over HTTP as the binding's transport (wsimport finds no port on another one)."""
    from gateway.shop_api import ShopApp

    app = ShopApp(facade.gateway, advertised_url=contract.COMMITTED_BASE_URL)
    assert app.wsdl == contract.committed()
    root = etree.fromstring(contract.committed())
    binding = root.find(f"{WSDL}binding/{{http://schemas.xmlsoap.org/wsdl/soap/}}binding")
    assert binding.get("transport") == "http://schemas.xmlsoap.org/soap/http"
    served = requests.get(facade.endpoint + "?wsdl", timeout=10).content
    assert served == contract.committed().replace(contract.COMMITTED_BASE_URL.encode(),
                                                  facade.base_url.encode())


def test_served_wsdl_advertises_the_configured_url_not_the_request_host(facade):
    from gateway.shop_api import ShopApp

    app = ShopApp(facade.gateway, advertised_url="https://shops.example.com")
    assert b'location="https://shops.example.com/soap/shop"' in app.wsdl
    served = requests.get(facade.endpoint + "?wsdl", headers={"Host": "evil.example"}, timeout=10)
    assert facade.base_url.encode() + b"/soap/shop" in served.content
    assert b"evil.example" not in served.content


def test_healthz_and_metrics(facade):
    health = requests.get(facade.base_url + "/healthz", timeout=10)
    assert health.status_code == 200 and health.json()["database"] == "up"
    client = facade.client()
    client.service.SubmitClaim(claim=claim("M-1"))
    fault_of(client.service.GetClaim, "nope")
    text = requests.get(facade.base_url + "/metrics", timeout=10).text
    assert 'gateway_soap_requests_total{operation="SubmitClaim",outcome="ok"}' in text
    assert 'gateway_soap_faults_total{code="Client.NotFound"}' in text
    assert 'gateway_soap_request_seconds_count{operation="SubmitClaim"}' in text


def test_metrics_registry_gauge_callbacks():
    from gateway.metrics import Registry

    registry = Registry()
    registry.register_gauge_callback("outbox_pending", "rows", lambda: 3)
    registry.register_gauge_callback("outbox_rows", "rows by state",
                                     lambda: {(("state", "dead"),): 1})
    registry.register_gauge_callback("broken", "raises", lambda: 1 / 0)
    text = registry.render()
    assert "outbox_pending 3" in text and 'outbox_rows{state="dead"} 1' in text
    assert 'gateway_metrics_callback_errors_total{metric="broken"} 1' in text
    assert "broken 1" not in text
