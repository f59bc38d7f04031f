"""Schema version management: Alembic, run from code (no alembic.ini to ship)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaOutOfDate(Exception):
    """The database is not at the code's schema version; str() tells the fix."""


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # env.py takes the engine from here instead of a URL, so secrets in the
    # URL are never written anywhere and tests can pass their own engine.
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS))
    return script.get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Create or upgrade the schema; returns (revision before, revision after)."""
    before = current_revision(engine)
    command.upgrade(alembic_config(engine), revision)
    return before, current_revision(engine)


def check_current(engine: Engine) -> None:
    current, head = current_revision(engine), head_revision()
    if current != head:
        found = "is empty" if current is None else f"has schema revision {current}"
        raise SchemaOutOfDate(
            f"the database {found}, this gateway needs revision {head}: run `gateway db upgrade`")
