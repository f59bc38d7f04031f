"""Shared fixtures: a real, migrated, empty database on SQLite and (when configured) PostgreSQL.

Every test that takes `db_url` runs once per database: always on a SQLite
file, and again on PostgreSQL when GATEWAY_TEST_POSTGRES_URL is set. The
PostgreSQL run uses its own schema, created for this test session and
dropped after it; tables are emptied between tests.
"""
from __future__ import annotations

import os
import shutil
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from gateway import app as gateway_app
from gateway.config import load
from gateway.store import schema
from gateway.store.database import make_engine
from gateway.store.tables import metadata

POSTGRES_URL = os.environ.get("GATEWAY_TEST_POSTGRES_URL", "")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


# Set by .ci/run's second run, with tests/moved_clock on PYTHONPATH (see its sitecustomize).
MOVED_CLOCK = os.environ.get("GATEWAY_TEST_CLOCK", "")


def pytest_report_header(config):
    lines = [f"databases under test: {', '.join(DATABASES)}"]
    if MOVED_CLOCK:
        lines.append(f"wall clock moved to {MOVED_CLOCK} (ticking): now "
                     f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC")
    return lines


def pytest_configure(config):
    # A moved-clock run whose clock did not move (sitecustomize not on PYTHONPATH, or
    # shadowed by another one) would pass on the real date and prove nothing.
    relative = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                if "moved_clock" in p and not os.path.isabs(p)]
    if MOVED_CLOCK and relative:
        raise pytest.UsageError(f"put tests/moved_clock on PYTHONPATH as an absolute path, not "
                                f"{relative[0]!r}: processes the tests start in another "
                                "working directory would run on the real clock")
    if MOVED_CLOCK and datetime.now(timezone.utc).date() < date.fromisoformat(MOVED_CLOCK[:10]):
        raise pytest.UsageError(f"GATEWAY_TEST_CLOCK={MOVED_CLOCK} is set but the clock reads "
                                f"{datetime.now(timezone.utc):%Y-%m-%d}: put tests/moved_clock "
                                "on PYTHONPATH (its sitecustomize moves the clock)")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """One migrated SQLite file; each test gets a copy (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    schema.upgrade(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(scope="session")
def postgres_schema_url():
    """A schema of our own in the test database, migrated once, dropped at the end."""
    if not POSTGRES_URL:
        pytest.skip("GATEWAY_TEST_POSTGRES_URL is not set")
    name = f"gw_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    url = postgres_url_for_schema(name)
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


def postgres_url_for_schema(name: str) -> str:
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{name}"


@pytest.fixture(params=DATABASES)
def db_url(request, tmp_path) -> str:
    """URL of a migrated database with no rows, on each database under test."""
    if request.param == "sqlite":
        path = tmp_path / "gateway.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_schema_url")
    engine = create_engine(url)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        # What the migrations put in a new database (a copied SQLite template keeps it).
        conn.execute(text("INSERT INTO agency_connections (name, kind, endpoint_url, sandbox, "
                          "created_at) VALUES ('default', 'mediafinanz-soap', NULL, false, "
                          "now())"))
    engine.dispose()
    return url


@pytest.fixture
def settings(db_url):
    return load(environ={"GATEWAY_DATABASE_URL": db_url, "GATEWAY_LOG_FORMAT": "json"})


@pytest.fixture
def gateway(settings):
    gw = gateway_app.build(settings)
    yield gw
    gw.close()
