"""Composition root: builds the parts of the gateway from Settings."""
from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from sqlalchemy.engine import Engine

from .config import Settings
from .domain.agency import AgencyConnection
from .service.agency_accounts import DEFAULT_KIND
from .service.agency_port import AgencyAuthFailed, AgencyCredentials, AgencyPort
from .service.claims import Clock, utc_now
from .service.unit_of_work import UnitOfWork, UnitOfWorkFactory
from .store import schema
from .store.database import check_reachable, make_engine
from .store.unit_of_work import SqlUnitOfWork


@dataclass
class Gateway:
    settings: Settings
    engine: Engine
    uow: UnitOfWorkFactory  # read-write unit of work
    read_uow: UnitOfWorkFactory  # read-only: no write lock on SQLite
    # What every part built from this gateway takes as now (and today, in Europe/Berlin);
    # the wall clock in production, a chosen one in tests.
    clock: Clock = utc_now
    extras: dict = field(default_factory=dict)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Gateway":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def build(settings: Settings, *, require_schema: bool = True, clock: Clock = utc_now) -> Gateway:
    """Connect to the database; with require_schema, refuse an out-of-date schema."""
    engine = make_engine(settings.database_url, pool_size=max(5, settings.server_threads))
    check_reachable(engine)
    if require_schema:
        schema.check_current(engine)
    return Gateway(settings=settings, engine=engine,
                   uow=partial(SqlUnitOfWork, engine),
                   read_uow=partial(SqlUnitOfWork, engine, read_only=True), clock=clock)


class MissingAgencyAccount(AgencyAuthFailed):
    """A claim without an agency account, or an account or connection that is gone:
    permanent and loud, an operator must fix the configuration."""


def _mediafinanz_soap(connection: AgencyConnection, url: str, settings: Settings) -> AgencyPort:
    from .agencies.mediafinanz import MediafinanzAgency

    return MediafinanzAgency(url, installation_secret(connection, "APPLICATION_KEY",
                                                      settings.agency_application_key),
                             timeout_s=settings.agency_timeout_s)


def _mediafinanz_rest(connection: AgencyConnection, url: str, settings: Settings) -> AgencyPort:
    from .agencies.mediafinanz_rest import MediafinanzRestAgency

    return MediafinanzRestAgency(url, timeout_s=settings.agency_timeout_s)


# Adapter kind -> factory(connection, endpoint URL, settings). The one table that names the
# agencies: a new adapter is a folder under gateway/agencies/, a mapping, and a line here.
ADAPTER_KINDS: dict[str, Callable[[AgencyConnection, str, Settings], AgencyPort]] = {
    DEFAULT_KIND: _mediafinanz_soap,
    "mediafinanz-rest": _mediafinanz_rest,
}


def installation_secret(connection: AgencyConnection, what: str, default: str = "") -> str:
    """An installation-level secret of a connection, from the environment:
    GATEWAY_CONNECTION_<NAME>_<WHAT> (NAME upper-cased, non-alphanumerics as _), else the
    installation-wide default (for mediafinanz SOAP: GATEWAY_AGENCY_APPLICATION_KEY)."""
    name = re.sub(r"[^A-Z0-9]", "_", connection.name.upper())
    return os.environ.get(f"GATEWAY_CONNECTION_{name}_{what}", default)


class AgencyRegistry:
    """The agency side of one process: an adapter per connection, built once on first use,
    and the route of an account (its connection's adapter and its credentials).

    default_url is the endpoint of connections without one of their own when
    GATEWAY_AGENCY_URL is not set (the in-process simulator's URL). adapters: prebuilt
    adapters by connection name (benchmarks, tests).
    """

    def __init__(self, settings: Settings, default_url: str | None = None,
                 adapters: dict[str, AgencyPort] | None = None):
        self.settings = settings
        self.default_url = default_url
        self._adapters: dict[str, AgencyPort] = dict(adapters or {})
        self._lock = threading.Lock()

    def adapter(self, connection: AgencyConnection) -> AgencyPort:
        with self._lock:
            found = self._adapters.get(connection.name)
            if found is None:
                factory = ADAPTER_KINDS.get(connection.kind)
                if factory is None:
                    raise MissingAgencyAccount(f"connection {connection.name!r} has an unknown "
                                               f"adapter kind {connection.kind!r}")
                url = connection.endpoint_url
                if not url and connection.kind == DEFAULT_KIND:
                    # GATEWAY_AGENCY_URL and the in-process simulator speak SOAP only.
                    url = self.settings.agency_url or self.default_url
                if not url:
                    raise MissingAgencyAccount(
                        f"connection {connection.name!r} has no endpoint: set one with "
                        f"`gateway connections set {connection.name} --url URL` (or "
                        "GATEWAY_AGENCY_URL for the default connection)")
                found = self._adapters[connection.name] = factory(connection, url, self.settings)
            return found

    def route(self, uow: UnitOfWork, account: str | None) -> tuple[AgencyPort, AgencyCredentials]:
        """The adapter and credentials of an account; MissingAgencyAccount when there is none."""
        if not account:
            raise MissingAgencyAccount(
                "no agency account: put the shop on one with `gateway shops set SHOP "
                "--account NAME` (its waiting claims follow), then `gateway outbox retry`")
        found = uow.agencies.account(account)
        if found is None:
            raise MissingAgencyAccount(f"agency account {account!r} does not exist")
        connection = uow.agencies.connection(found.connection)
        creds = uow.agencies.credentials(account)
        return self.adapter(connection), creds

    def close(self) -> None:
        with self._lock:
            adapters, self._adapters = list(self._adapters.values()), {}
        for adapter in adapters:
            close = getattr(adapter, "close", None)
            if close is not None:
                close()


def give_sandbox_account(gw: Gateway, shop_id: str) -> str:
    """The zero-config sandbox: a simulated agency client of the shop's own on the default
    connection (never one shared with other shops, whose feed and invoices it would mix
    with); the shop and its waiting claims are put on it. Returns the account's name."""
    from .agencies.simulator.core import SANDBOX_CLIENT_IDS, sandbox_client_key
    from .domain.agency import NAME
    from .service.agency_accounts import DEFAULT_CONNECTION, add_account, put_shop_on_account

    with gw.read_uow() as uow:
        accounts = uow.agencies.accounts()
    used = {int(a.client_id) for a in accounts
            if a.connection == DEFAULT_CONNECTION and a.client_id.isdigit()}
    client_id = max(used & set(SANDBOX_CLIENT_IDS), default=SANDBOX_CLIENT_IDS.start - 1) + 1
    base = re.sub(r"[^a-z0-9._-]", "-", f"sandbox-{shop_id.lower()}")[:56]
    names = {a.name for a in accounts}
    name, n = base, 1
    while name in names or not NAME.match(name):
        n += 1
        name = f"{base}-{n}"
    add_account(gw.uow, name, DEFAULT_CONNECTION, str(client_id),
                sandbox_client_key(client_id), now=gw.clock())
    put_shop_on_account(gw.uow, shop_id, name)
    return name


def give_sandbox_accounts(gw: Gateway) -> list[tuple[str, str]]:
    """give_sandbox_account for every shop on no account: [(shop id, account)]."""
    with gw.read_uow() as uow:
        waiting = [s.id for s in uow.shops.list() if not s.agency_account]
    return [(shop_id, give_sandbox_account(gw, shop_id)) for shop_id in waiting]


def register_database_gauges(gw: Gateway) -> None:
    """Outbox, sync and login lockout gauges for /metrics, read from the database at scrape
    time: right in every process that serves metrics, also when the workers, the sync or
    other facade processes run elsewhere."""
    from .dispatch import register_outbox_metrics
    from .store.login_throttle_store import register_lockout_metrics
    from .sync.metrics import register_sync_metrics

    register_outbox_metrics(gw.engine, clock=gw.clock)
    register_sync_metrics(gw.engine)
    register_lockout_metrics(gw.engine, gw.clock)
