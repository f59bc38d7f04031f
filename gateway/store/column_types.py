"""Column types that keep money exact and times in UTC on both SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.types import TypeDecorator

from gateway.domain.money import eur

# SQLite needs INTEGER PRIMARY KEY for its rowid autoincrement; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Cents(TypeDecorator):
    """A Decimal EUR amount stored as integer cents.

    SQLite has no exact decimal type (SQLAlchemy would go through float), so
    both databases store cents in a BIGINT; the value never passes through float.
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        cents = eur(value) * 100
        return int(cents)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-2)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
