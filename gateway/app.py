"""Composition root: builds the parts of the gateway from Settings."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from sqlalchemy.engine import Engine

from .config import Settings
from .service.unit_of_work import UnitOfWorkFactory
from .store import schema
from .store.database import check_reachable, make_engine
from .store.unit_of_work import SqlUnitOfWork


@dataclass
class Gateway:
    settings: Settings
    engine: Engine
    uow: UnitOfWorkFactory  # read-write unit of work
    read_uow: UnitOfWorkFactory  # read-only: no write lock on SQLite
    extras: dict = field(default_factory=dict)

    def close(self) -> None:
        self.engine.dispose()


def build(settings: Settings, *, require_schema: bool = True) -> Gateway:
    """Connect to the database; with require_schema, refuse an out-of-date schema."""
    engine = make_engine(settings.database_url, pool_size=max(5, settings.server_threads))
    check_reachable(engine)
    if require_schema:
        schema.check_current(engine)
    return Gateway(settings=settings, engine=engine,
                   uow=partial(SqlUnitOfWork, engine),
                   read_uow=partial(SqlUnitOfWork, engine, read_only=True))
