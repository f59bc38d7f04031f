"""Composition root: builds the parts of the gateway from Settings."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from sqlalchemy.engine import Engine

from .config import ConfigError, Settings
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


class MissingAgencyCredentials(AgencyAuthFailed):
    """A shop without agency credentials against a real agency: permanent and loud."""


def build_agency(settings: Settings, endpoint_url: str | None = None) -> AgencyPort:
    """The agency adapter for the configured (or given) endpoint; one per process."""
    from .agencies.mediafinanz import MediafinanzAgency

    url = endpoint_url or settings.agency_url
    if not url:
        raise ConfigError("no agency endpoint: set GATEWAY_AGENCY_URL or run the simulator "
                          "in-process")
    return MediafinanzAgency(url, settings.agency_application_key,
                             timeout_s=settings.agency_timeout_s)


def credentials_for(settings: Settings, uow: UnitOfWork, shop_id: str) -> AgencyCredentials:
    """The shop's agency credentials.

    A shop without its own falls back to the simulator's sandbox client only when the
    simulator runs in-process (so `gateway shops add demo-shop` just works on a
    laptop); against a real agency that is a configuration error an operator must fix.
    """
    creds = uow.shops.agency_credentials(shop_id)
    if creds is not None:
        return creds
    if settings.simulator_in_process:
        from .agencies.simulator.core import DEFAULT_CLIENTS

        client_id, client_key = next(iter(DEFAULT_CLIENTS.items()))
        return AgencyCredentials(str(client_id), client_key, sandbox=True)
    raise MissingAgencyCredentials(
        f"shop {shop_id!r} has no agency credentials (client id and key): add them with "
        f"`gateway shops set {shop_id} --agency-client-id ID --agency-client-key KEY`")
