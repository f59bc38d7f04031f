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

Guessing is throttled (gateway.service.login_throttle): before a password or digest is
checked, the shop id's and the client address's failures in the database may block the
login for a while; it is then refused at once, without a hash. A pair the cache holds is
not throttled. Hashes run on the process's PasswordChecker: a few at a time, on threads of
its own; a login that finds no free slot in time is PasswordCheckBusy (Server.Unavailable).
The client address is REMOTE_ADDR, or, when that is one of GATEWAY_TRUSTED_PROXIES, the
last address in X-Forwarded-For that is not one of them.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence

from lxml import etree
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from gateway import logs, metrics
from gateway.service.login_throttle import LoginThrottle, ThrottlePolicy, address_key
from gateway.service.passwords import PasswordCheckBusy, shared_checker
from gateway.store import tables
from gateway.store.login_throttle_store import SqlLoginFailureStore

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PASSWORD_DIGEST = ("http://docs.oasis-open.org/wss/2004/01/"
                   "oasis-200401-wss-username-token-profile-1.0#PasswordDigest")
FRESHNESS = timedelta(minutes=5)
FUTURE_SKEW = timedelta(seconds=60)  # clocks of shop servers drift a little
CACHE_TTL_S = 60.0
CACHE_MAX = 10_000
_SOAP_HEADER = "{http://schemas.xmlsoap.org/soap/envelope/}Header"


log = logs.get_logger("gateway.shop_api.auth")
THROTTLED = metrics.counter(
    "gateway_login_throttled_total", "logins refused unchecked while their shop id or client "
    "address was delayed or locked out after failed logins (refused by both: counted under "
    "each)", ("kind", "reason"))
PASSWORD_CHECKS = metrics.counter(
    "gateway_password_checks_total", "password hashes computed for logins (the cache and the "
    "throttle spare the rest), by outcome; busy: no free slot in time", ("outcome",))


class AuthenticationFailed(Exception):
    """The one failure a caller sees; str() is for the log (never sent to the client).
    shop_known: the shop id exists (its failure counts for the shop id too)."""

    def __init__(self, reason: str, *, shop_known: bool = False):
        super().__init__(reason)
        self.shop_known = shop_known


class NoCredentials(AuthenticationFailed):
    """Neither an Authorization header nor a UsernameToken: answered with HTTP Basic's
    challenge (401). Wrong credentials are not: a 401 makes some clients send the same
    wrong password again and again and browsers prompt, while the SOAP fault is the
    typed, declared answer a client program can act on."""


class Throttled(AuthenticationFailed):
    """Refused unchecked: the shop id or address is delayed or locked out (not counted)."""


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


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(environ: dict, trusted_proxies: Sequence[Network] = ()) -> str | None:
    """Who is calling, as the login throttle counts it (see address_key): REMOTE_ADDR, or
    behind trusted proxies the nearest X-Forwarded-For entry that is not one of them (the
    entries further left are the client's own to write)."""
    peer = environ.get("REMOTE_ADDR") or ""
    if trusted_proxies and _is_trusted(peer, trusted_proxies):
        for hop in reversed((environ.get("HTTP_X_FORWARDED_FOR") or "").split(",")):
            hop = hop.strip()
            if not hop:
                break
            peer = hop
            if not _is_trusted(hop, trusted_proxies):
                break
    return address_key(peer)


def _is_trusted(text: str, trusted_proxies: Sequence[Network]) -> bool:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # a dual-stack socket's view of an IPv4 peer
    return any(address in network for network in trusted_proxies)


class Authenticator:
    """Checks credentials against the shops table; thread-safe; one per process."""

    def __init__(self, gateway: Any, secret_key: str | None = None,
                 clock: Callable[[], datetime] | None = None):
        settings = gateway.settings
        self.gateway = gateway
        self.secret_key = secret_key or None
        self.clock = clock or gateway.clock  # WS-Security timestamps are judged on it
        self.throttle = LoginThrottle(SqlLoginFailureStore(gateway.engine),
                                      ThrottlePolicy.from_settings(settings), self.clock)
        self.trusted_proxies = [ipaddress.ip_network(n) for n in settings.trusted_proxies]
        self.check_slots = settings.password_check_concurrency
        self.check_wait_s = settings.password_check_wait_s
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, bytes], float] = {}
        self._secrets: dict[str, tuple[str, float]] = {}
        self._last_purge = 0.0

    def client_address(self, environ: dict | None) -> str | None:
        return client_address(environ or {}, self.trusted_proxies)

    def authenticate(self, creds: Credentials, environ: dict | None = None) -> str:
        """The shop id, or AuthenticationFailed (Throttled while blocked); counts failures
        for the throttle at the client address environ gives (read only when needed)."""
        try:
            if not creds.shop_id or len(creds.shop_id) > 64:
                raise AuthenticationFailed("no or overlong shop id")
            if creds.created is not None:
                self._check_fresh(creds.created)
            if creds.digest:
                self._check_digest(creds, environ)
            else:
                self._check_password(creds.shop_id, creds.password, environ)
            if creds.nonce is not None:
                self._record_nonce(creds.shop_id, creds.nonce)
        except Throttled:
            raise
        except AuthenticationFailed as exc:
            self._count_failure(creds.shop_id if exc.shop_known else None,
                                self.client_address(environ))
            raise
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

    def _check_password(self, shop_id: str, password: str, environ: dict | None) -> None:
        key = (shop_id, hashlib.sha256(password.encode()).digest())
        now = time.monotonic()
        with self._lock:
            expires = self._cache.get(key)
        if expires is not None and expires > now:
            return  # this very password succeeded moments ago: no hash, nothing to throttle
        shop_failed = self._pass_throttle(shop_id, environ)
        with self.gateway.read_uow() as uow:
            stored = uow.shops.password_hash(shop_id)
        try:
            ok = shared_checker(self.check_slots).verify(password, stored, self.check_wait_s)
        except PasswordCheckBusy:
            PASSWORD_CHECKS.inc(outcome="busy")
            raise
        PASSWORD_CHECKS.inc(outcome="ok" if ok else "wrong")
        if not ok:
            raise AuthenticationFailed("wrong shop id or password", shop_known=stored is not None)
        if shop_failed:
            self.throttle.succeeded(shop_id)
        with self._lock:
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
            self._cache[key] = now + CACHE_TTL_S

    def _check_digest(self, creds: Credentials, environ: dict | None) -> None:
        if not self.secret_key:
            raise AuthenticationFailed("PasswordDigest needs GATEWAY_SECRET_KEY on the server")
        shop_failed = self._pass_throttle(creds.shop_id, environ)
        secret = self._digest_secret(creds.shop_id)
        expected = password_digest(creds.nonce or b"", creds.created or "", secret or "")
        if secret is None or not hmac.compare_digest(expected.encode(), creds.password.encode()):
            raise AuthenticationFailed("wrong shop id or digest", shop_known=secret is not None)
        if shop_failed:
            self.throttle.succeeded(creds.shop_id)

    def _pass_throttle(self, shop_id: str, environ: dict | None) -> bool:
        """Throttled when the shop id or the client address is blocked now; else whether
        the shop has failures a success must forget."""
        blocking, shop_failed = self.throttle.check(shop_id, self.client_address(environ))
        for row in blocking:  # a login both blocks refuse counts under each
            THROTTLED.inc(kind=row.kind, reason=row.reason)
        if blocking:
            first = blocking[0]
            raise Throttled(f"{first.kind} {first.reason} after {first.failures} failed logins, "
                            f"until {first.blocked_until:%Y-%m-%d %H:%M:%S}")
        return shop_failed

    def _count_failure(self, shop_id: str | None, address: str | None) -> None:
        for row in self.throttle.failed(shop_id, address):
            if row.locked and row.blocks(self.clock()) and \
                    row.failures >= self.throttle.policy.rule(row.kind).lockout_failures:
                # Once per lockout (logins during one are not counted): a guesser at work,
                # or a shop with a stale password.
                log.warning("login lockout", kind=row.kind, subject=row.subject,
                            failures=row.failures, until=row.blocked_until.isoformat())

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
