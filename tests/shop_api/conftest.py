"""A real facade under waitress on a loopback port, against the `gateway` fixture's database,
with two shops (shop-a, shop-b) and zeep clients built from the served WSDL."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pytest
import requests
import zeep
from zeep.transports import Transport

from gateway.cli.serve import make_server
from gateway.service.shops import add_shop
from gateway.shop_api import ShopApp, auth

SECRET_KEY = "test-secret-key-for-password-digest"
PASSWORDS = {"shop-a": "password-of-shop-a", "shop-b": "password-of-shop-b"}
MAX_BODY = 16 * 1024
MAX_BATCH_BODY = 512 * 1024


@dataclass
class Facade:
    base_url: str
    app: ShopApp
    gateway: object
    _clients: dict = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        return self.base_url + "/soap/shop"

    def client(self, shop: str | None = "shop-a", password: str | None = None,
               wsse=None) -> zeep.Client:
        session = requests.Session()
        if shop is not None and wsse is None:
            session.auth = (shop, password if password is not None else PASSWORDS[shop])
        settings = zeep.Settings(strict=True, forbid_dtd=True, forbid_external=True)
        return zeep.Client(self.endpoint + "?wsdl", wsse=wsse, settings=settings,
                           transport=Transport(session=session, operation_timeout=10, timeout=10))

    def digest_secret(self, shop: str) -> str:
        with self.gateway.read_uow() as uow:
            return auth.digest_secret_for(SECRET_KEY, shop, uow.shops.password_hash(shop))

    def post(self, body: bytes, **headers) -> requests.Response:
        headers.setdefault("Content-Type", "text/xml; charset=utf-8")
        return requests.post(self.endpoint, data=body, headers=headers,
                             auth=("shop-a", PASSWORDS["shop-a"]), timeout=10)


def serve(gateway, **app_options):
    """Run a ShopApp for `gateway` on a free port; returns (base_url, app, stop)."""
    holder: list = []
    server = make_server(lambda env, start: holder[0](env, start), gateway.settings,
                         "127.0.0.1", 0)
    base_url = f"http://127.0.0.1:{server.effective_port}"
    holder.append(ShopApp(gateway, advertised_url=base_url, **app_options))
    stopping = threading.Event()

    def run():
        try:
            server.run()
        except OSError:  # stop() closed the sockets under the loop's select()
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def stop():
        stopping.set()
        server.task_dispatcher.shutdown(timeout=5)
        server.close()
        from waitress import wasyncore
        wasyncore.close_all(server._map)
        thread.join(5)

    return base_url, holder[0], stop


@pytest.fixture
def facade(settings):
    from gateway import app as gateway_app

    settings = settings.replace(max_body_bytes=MAX_BODY, max_batch_body_bytes=MAX_BATCH_BODY,
                                server_threads=4)
    gw = gateway_app.build(settings)
    for shop, password in PASSWORDS.items():
        add_shop(gw.uow, shop, password=password, seat="BY")
    base_url, app, stop = serve(gw, secret_key=SECRET_KEY)
    yield Facade(base_url, app, gw)
    stop()
    gw.close()
