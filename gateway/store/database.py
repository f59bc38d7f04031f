"""Engine construction for SQLite (embedded default) and PostgreSQL (psycopg 3)."""
from __future__ import annotations

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ArgumentError


class DatabaseUnavailable(Exception):
    """The database cannot be reached; str() is the one line the operator sees."""


def make_engine(url: str, *, pool_size: int = 20) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_transactions(engine)
        return engine
    # No pool_pre_ping: it costs two round trips (SELECT 1 and its BEGIN) on every checkout,
    # a third of a SubmitClaim's. After a database restart the first statement on a stale
    # connection fails instead (the shop gets Server.Unavailable, which it retries), and
    # SQLAlchemy then drops every pooled connection at once; pool_recycle retires idle
    # connections before firewalls or server timeouts cut them.
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=300)


def _sqlite_transactions(engine: Engine) -> None:
    """Take transaction control from pysqlite so BEGIN IMMEDIATE can serialise writers.

    Writers that start with a plain BEGIN and upgrade later deadlock each other
    (SQLITE_BUSY without waiting); IMMEDIATE takes the write lock up front and
    waits for it. WAL lets readers run beside the one writer.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def check_reachable(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, ArgumentError) as exc:
        raise DatabaseUnavailable(
            f"cannot reach the database at {safe_url(engine)}: {error_reason(exc)}") from None


def error_reason(exc: Exception) -> str:
    """The driver's first line about a database error (SQLAlchemy's adds the SQL and a link)."""
    lines = str(getattr(exc, "orig", exc)).strip().splitlines()
    return lines[0] if lines else ""


def safe_url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)
