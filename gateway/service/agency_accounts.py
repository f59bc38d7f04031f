"""Agency connections and accounts: adding, changing, and putting shops on accounts.

A connection is an agency endpoint with its adapter kind; an account is a creditor's
credentials there. Shops reference an account and several may share one. The connection
"default" always exists (the migration creates it): its endpoint is GATEWAY_AGENCY_URL, or
the in-process simulator when none is configured.
"""
from __future__ import annotations

from datetime import datetime

from gateway.domain.agency import NAME, AgencyAccount, AgencyConnection
from gateway.domain.errors import Conflict, DomainError, NotFound

from .claims import utc_now
from .unit_of_work import DuplicateKey, UnitOfWork, UnitOfWorkFactory

DEFAULT_CONNECTION = "default"
DEFAULT_SANDBOX_CONNECTION = "default-sandbox"
DEFAULT_KIND = "mediafinanz-soap"


def _checked_name(what: str, name: str) -> str:
    if not NAME.match(name or ""):
        raise DomainError(f"{what} name must be 1-64 characters of lower-case letters, digits, "
                          f". _ -, starting with a letter or digit; got {name!r}")
    return name


def _checked_url(url: str | None) -> str | None:
    if url is not None and not url.startswith(("http://", "https://")):
        raise DomainError(f"endpoint URL must start with http:// or https://, got {url!r}")
    return url


def add_connection(uow_factory: UnitOfWorkFactory, name: str, kind: str,
                   known_kinds: tuple[str, ...], *, endpoint_url: str | None = None,
                   sandbox: bool = False, now: datetime | None = None) -> AgencyConnection:
    if kind not in known_kinds:
        raise DomainError(f"unknown adapter kind {kind!r}; known: {', '.join(known_kinds)}")
    if kind != DEFAULT_KIND and not endpoint_url:
        # GATEWAY_AGENCY_URL (and the in-process simulator) speak the default kind only.
        raise DomainError(f"a {kind} connection needs its endpoint URL (--url)")
    connection = AgencyConnection(_checked_name("connection", name), kind,
                                  _checked_url(endpoint_url), sandbox, now or utc_now())
    with uow_factory() as uow:
        try:
            uow.agencies.add_connection(connection)
        except DuplicateKey as exc:
            raise Conflict(str(exc)) from None
        uow.commit()
    return connection


def update_connection(uow_factory: UnitOfWorkFactory, name: str, known_kinds: tuple[str, ...],
                      *, kind: str | None = None, endpoint_url: str | None = None,
                      sandbox: bool | None = None) -> list[str]:
    """Change what is given; returns the names of what changed."""
    if kind is not None and kind not in known_kinds:
        raise DomainError(f"unknown adapter kind {kind!r}; known: {', '.join(known_kinds)}")
    values = {"kind": kind, "endpoint_url": _checked_url(endpoint_url), "sandbox": sandbox}
    values = {k: v for k, v in values.items() if v is not None}
    with uow_factory() as uow:
        if uow.agencies.connection(name) is None:
            raise NotFound(f"no connection {name!r}")
        if values:
            uow.agencies.update_connection(name, **values)
            uow.commit()
    return sorted(values)


def add_account(uow_factory: UnitOfWorkFactory, name: str, connection: str, client_id: str,
                client_key: str | None, *, user_name: str | None = None,
                now: datetime | None = None) -> AgencyAccount:
    if not client_id or not client_id.strip():
        raise DomainError("an account needs the creditor's client id at the agency")
    account = AgencyAccount(_checked_name("account", name), connection, client_id.strip(),
                            user_name, now or utc_now())
    with uow_factory() as uow:
        if uow.agencies.connection(connection) is None:
            raise NotFound(f"no connection {connection!r}")
        try:
            uow.agencies.add_account(account, client_key)
        except DuplicateKey as exc:
            raise Conflict(str(exc)) from None
        uow.commit()
    return account


def update_account(uow_factory: UnitOfWorkFactory, name: str, *, client_id: str | None = None,
                   client_key: str | None = None, user_name: str | None = None) -> list[str]:
    values = {"client_id": client_id, "client_key": client_key, "user_name": user_name}
    values = {k: v for k, v in values.items() if v is not None}
    with uow_factory() as uow:
        if uow.agencies.account(name) is None:
            raise NotFound(f"no account {name!r}")
        if values:
            try:
                uow.agencies.update_account(name, **values)
                uow.commit()
            except DuplicateKey as exc:
                raise Conflict(str(exc)) from None
    return sorted(values)


def account_for_client(uow: UnitOfWork, client_id: str, client_key: str | None, sandbox: bool,
                       now: datetime) -> str:
    """The shorthand of `shops add --agency-client-id`: the account of this client id on the
    default connection (its sandbox twin with sandbox), created when it does not exist yet.
    Not committed: the caller's unit of work commits it with the shop."""
    connection = DEFAULT_SANDBOX_CONNECTION if sandbox else DEFAULT_CONNECTION
    if uow.agencies.connection(connection) is None:
        uow.agencies.add_connection(AgencyConnection(connection, DEFAULT_KIND, None, sandbox, now))
    found = uow.agencies.account_for_client(connection, client_id)
    if found is not None:
        stored = uow.agencies.credentials(found.name)
        if client_key and stored is not None and client_key != stored.client_key:
            # Other shops may be on it: a key is changed on purpose, never as a side effect.
            raise Conflict(f"account {found.name} of client id {client_id} exists with another "
                           f"key; change it with `gateway accounts set {found.name} "
                           "--client-key KEY`")
        return found.name
    name = f"client-{client_id}" + ("-sandbox" if sandbox else "")
    uow.agencies.add_account(AgencyAccount(_checked_name("account", name), connection, client_id,
                                           None, now), client_key)
    return name


def put_shop_on_account(uow_factory: UnitOfWorkFactory, shop_id: str, account: str) -> int:
    """The shop's new claims go to `account` from now on; claims that arrived while it had
    none follow it there. Returns how many waiting claims got the account."""
    with uow_factory() as uow:
        if uow.shops.get(shop_id) is None:
            raise NotFound(f"no shop {shop_id!r}")
        if uow.agencies.account(account) is None:
            raise NotFound(f"no account {account!r}")
        uow.shops.update_settings(shop_id, agency_account=account)
        moved = uow.shops.give_account_to_waiting_claims(shop_id, account)
        uow.commit()
    return moved
