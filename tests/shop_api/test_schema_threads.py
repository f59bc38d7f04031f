"""The request schema is compiled per thread; threads that start at once (the first
requests of a new server process) must each get a working schema."""
from __future__ import annotations

import threading
from pathlib import Path

from gateway.shop_api import hardening

WSDL = (Path(__file__).parents[2] / "wsdl" / "shop" / "shop.wsdl").read_bytes()
BODY = (b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        b'xmlns:t="urn:inkasso-gateway:shop:v1"><s:Body><t:GetClaim>'
        b"<t:shopClaimId>INV-1</t:shopClaimId></t:GetClaim></s:Body></s:Envelope>")


def test_threads_compiling_at_once_all_validate():
    failures: list = []
    for _ in range(15):  # a fresh validator each round: every thread compiles again
        validator = hardening.Validator(WSDL)
        start = threading.Barrier(12)

        def first_request() -> None:
            element = hardening.parse(BODY, ["GetClaim"], 1 << 20).element
            start.wait()
            try:
                failures.extend(validator.errors(element))
            except Exception as exc:  # noqa: BLE001 - the failure under test
                failures.append(repr(exc))

        threads = [threading.Thread(target=first_request) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failures == []
