"""Who is calling: HTTP Basic (user = shop id) or a WS-Security UsernameToken.

UsernameToken: PasswordText is checked like Basic. PasswordDigest =
Base64(SHA-1(nonce + created + secret)) needs a secret the server can read, which a
scrypt hash is not; so the digest secret is DERIVED, never stored:

    digest secret = base64url(HMAC-SHA256(GATEWAY_SECRET_KEY, shop id + scrypt hash))[:32]

An operator hands it to a shop that wants PasswordDigest (digest_secret_for). A
leaked database alone does not reveal it (the key is not in the database), a leaked key
alone does not either (the hash is not in the key), and a new shop password (new salt,
new hash) rotates it. Without GATEWAY_SECRET_KEY, PasswordDigest is refused.

Replays: a digest token's nonce is recorded in used_nonces (shared by every process on
the database) and its Created must lie within FRESHNESS of now; a nonce seen before or a
stale/future Created fails. Every failure gives the same answer (AuthenticationFailed),
never which part was wrong.

scrypt costs tens of milliseconds, so successful checks are cached in memory briefly,
keyed by shop id + SHA-256 of the presented password (the password itself is not kept).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from lxml import etree
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from gateway.service.passwords import verify_password
from gateway.store import tables

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PASSWORD_DIGEST = ("http://docs.oasis-open.org/wss/2004/01/"
                   "oasis-200401-wss-username-token-profile-1.0#PasswordDigest")
FRESHNESS = timedelta(minutes=5)
FUTURE_SKEW = timedelta(seconds=60)  # clocks of shop servers drift a little
CACHE_TTL_S = 60.0
CACHE_MAX = 10_000
_SOAP_HEADER = "{http://schemas.xmlsoap.org/soap/envelope/}Header"


class AuthenticationFailed(Exception):
    """The one failure a caller sees; str() is for the log (never sent to the client)."""


@dataclass(frozen=True)
class Credentials:
    shop_id: str
    password: str
    digest: bool = False
    nonce: bytes | None = None
    created: str | None = None


def digest_secret_for(secret_key: str, shop_id: str, password_hash: str) -> str:
    """The PasswordDigest secret of a shop (see the module docstring)."""
    mac = hmac.new(secret_key.encode(), f"wsse-digest:v1:{shop_id}:{password_hash}".encode(),
                   hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[:32]


def password_digest(nonce: bytes, created: str, secret: str) -> str:
    return base64.b64encode(hashlib.sha1(nonce + created.encode() + secret.encode()).digest()).decode()


def from_basic(header: str | None) -> Credentials | None:
    if not header or not header[:6].lower() == "basic ":
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise AuthenticationFailed("undecodable Basic header") from None
    return Credentials(user, password)


def from_ws_security(envelope: etree._Element) -> Credentials | None:
    header = envelope.find(_SOAP_HEADER)
    if header is None:
        return None
    token = header.find(f"{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
    if token is None:
        return None
    user = token.findtext(f"{{{WSSE}}}Username") or ""
    password_el = token.find(f"{{{WSSE}}}Password")
    if password_el is None:
        raise AuthenticationFailed("UsernameToken without Password")
    nonce_text = token.findtext(f"{{{WSSE}}}Nonce")
    created = token.findtext(f"{{{WSU}}}Created")
    try:
        nonce = base64.b64decode(nonce_text.strip(), validate=True) if nonce_text else None
    except binascii.Error:
        raise AuthenticationFailed("Nonce is not base64") from None
    digest = (password_el.get("Type") or "").endswith("#PasswordDigest")
    if digest and (nonce is None or not created):
        raise AuthenticationFailed("PasswordDigest without Nonce and Created")
    return Credentials(user.strip(), password_el.text or "", digest, nonce,
                       created.strip() if created else None)


class Authenticator:
    """Checks credentials against the shops table; thread-safe; one per process."""

    def __init__(self, gateway: Any, secret_key: str | None = None,
                 clock: Callable[[], datetime] | None = None):
        self.gateway = gateway
        self.secret_key = secret_key or None
        self.clock = clock or gateway.clock  # WS-Security timestamps are judged on it
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, bytes], float] = {}
        self._secrets: dict[str, tuple[str, float]] = {}
        self._last_purge = 0.0

    def authenticate(self, creds: Credentials) -> str:
        """The shop id, or AuthenticationFailed."""
        if not creds.shop_id or len(creds.shop_id) > 64:
            raise AuthenticationFailed("no or overlong shop id")
        if creds.created is not None:
            self._check_fresh(creds.created)
        if creds.digest:
            self._check_digest(creds)
        else:
            self._check_password(creds.shop_id, creds.password)
        if creds.nonce is not None:
            self._record_nonce(creds.shop_id, creds.nonce)
        return creds.shop_id

    # -- parts -----------------------------------------------------------------------
    def _check_fresh(self, created: str) -> None:
        try:
            at = datetime.fromisoformat(created)
        except ValueError:
            raise AuthenticationFailed("Created is no ISO timestamp") from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=timezone.utc)
        now = self.clock()
        if at < now - FRESHNESS:
            raise AuthenticationFailed("stale Created")
        if at > now + FUTURE_SKEW:
            raise AuthenticationFailed("Created in the future")

    def _check_password(self, shop_id: str, password: str) -> None:
        key = (shop_id, hashlib.sha256(password.encode()).digest())
        now = time.monotonic()
        with self._lock:
            expires = self._cache.get(key)
        if expires is not None and expires > now:
            return
        with self.gateway.read_uow() as uow:
            stored = uow.shops.password_hash(shop_id)
        if not verify_password(password, stored):
            raise AuthenticationFailed("wrong shop id or password")
        with self._lock:
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
            self._cache[key] = now + CACHE_TTL_S

    def _check_digest(self, creds: Credentials) -> None:
        if not self.secret_key:
            raise AuthenticationFailed("PasswordDigest needs GATEWAY_SECRET_KEY on the server")
        secret = self._digest_secret(creds.shop_id)
        expected = password_digest(creds.nonce or b"", creds.created or "", secret or "")
        if secret is None or not hmac.compare_digest(expected.encode(), creds.password.encode()):
            raise AuthenticationFailed("wrong shop id or digest")

    def _digest_secret(self, shop_id: str) -> str | None:
        now = time.monotonic()
        with self._lock:
            cached = self._secrets.get(shop_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        with self.gateway.read_uow() as uow:
            stored = uow.shops.password_hash(shop_id)
        if not stored:
            return None
        secret = digest_secret_for(self.secret_key, shop_id, stored)
        with self._lock:
            self._secrets[shop_id] = (secret, now + CACHE_TTL_S)
        return secret

    def _record_nonce(self, shop_id: str, nonce: bytes) -> None:
        """Remember the nonce in the database; seen before (by any process) = replay."""
        key = f"{shop_id}:{hashlib.sha256(nonce).hexdigest()}"
        now = self.clock()
        try:
            with self.gateway.engine.begin() as conn:
                conn.execute(insert(tables.used_nonces).values(nonce_key=key, seen_at=now))
        except IntegrityError:
            raise AuthenticationFailed("nonce replayed") from None
        self._purge(now)

    def _purge(self, now: datetime) -> None:
        # A nonce older than the freshness window cannot come back with a fresh Created.
        mono = time.monotonic()
        with self._lock:
            if mono - self._last_purge < 60:
                return
            self._last_purge = mono
        with self.gateway.engine.begin() as conn:
            conn.execute(delete(tables.used_nonces).where(
                tables.used_nonces.c.seen_at < now - 2 * FRESHNESS - FUTURE_SKEW))
