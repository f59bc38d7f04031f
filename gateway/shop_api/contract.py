"""The committed WSDL copy (wsdl/shop/shop.wsdl) and how it is generated.

Run `python -m gateway.shop_api.contract` after a deliberate contract change to
rewrite the copy; a test fails while the two differ.
"""
from __future__ import annotations

from importlib.resources import files

COMMITTED_BASE_URL = "https://gateway.example"


def generated() -> bytes:
    """The WSDL the code builds, with the fixed base URL, pretty-printed for review."""
    from .service import build_application, interface_document
    from .wsgi import SOAP_PATH

    return interface_document(build_application(None), COMMITTED_BASE_URL + SOAP_PATH)


def committed() -> bytes:
    return files("wsdl.shop").joinpath("shop.wsdl").read_bytes()


if __name__ == "__main__":
    from pathlib import Path

    import wsdl.shop

    target = Path(wsdl.shop.__file__).with_name("shop.wsdl")
    target.write_bytes(generated())
    print(f"wrote {target}")
