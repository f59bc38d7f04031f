"""`gateway shops digest-secret` prints the secret a shop's PasswordDigest token must use."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from zeep.exceptions import Fault
from zeep.wsse.username import UsernameToken

from .conftest import SECRET_KEY


def digest_secret(db_url: str, shop: str, key: str | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "GATEWAY_DATABASE_URL": db_url, "GATEWAY_LOG_FORMAT": "json"}
    env.pop("GATEWAY_SECRET_KEY", None)
    if key is not None:
        env["GATEWAY_SECRET_KEY"] = key
    return subprocess.run([sys.executable, "-m", "gateway", "shops", "digest-secret", shop],
                          capture_output=True, text=True, env=env, timeout=60)


def test_printed_secret_authenticates_a_password_digest_token(facade, db_url):
    result = digest_secret(db_url, "shop-a", SECRET_KEY)
    assert result.returncode == 0, result.stderr
    secret = result.stdout.strip()
    client = facade.client(wsse=UsernameToken("shop-a", secret, use_digest=True))
    with pytest.raises(Fault) as info:  # authenticated: the claim simply does not exist
        client.service.GetClaim(shopClaimId="NO-SUCH-CLAIM")
    assert info.value.code.endswith("Client.NotFound")


def test_without_key_or_shop_one_line_errors(facade, db_url):
    no_key = digest_secret(db_url, "shop-a", None)
    assert no_key.returncode == 2 and "GATEWAY_SECRET_KEY is not set" in no_key.stderr
    no_shop = digest_secret(db_url, "nope", SECRET_KEY)
    assert no_shop.returncode == 1 and no_shop.stderr.strip() == "error: no shop 'nope'"


def test_facade_takes_the_secret_key_from_settings(settings):
    """GATEWAY_SECRET_KEY reaches the facade through Settings (environment or config file)."""
    from gateway import app as gateway_app
    from gateway.shop_api import ShopApp

    for key, expected in (("from-the-config-file", "from-the-config-file"), ("", None)):
        gw = gateway_app.build(settings.replace(secret_key=key))
        try:
            assert ShopApp(gw).auth.secret_key == expected
        finally:
            gw.close()
