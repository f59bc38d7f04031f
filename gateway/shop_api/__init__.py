"""The shop SOAP facade (urn:inkasso-gateway:shop:v1): types, service, auth, faults,
hardened request parsing and the WSGI app (/soap/shop, /healthz, /metrics)."""
from .wsgi import SOAP_PATH, ShopApp, build_wsgi_app  # noqa: F401
