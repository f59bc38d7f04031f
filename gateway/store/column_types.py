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


class Percent4(TypeDecorator):
    """A Decimal percentage with at most 4 decimal places (an effective annual rate such as
    14.9900) stored as an integer of 1/10,000 percent, on both databases, never through float.
    A value with more places is refused, not rounded."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise TypeError("a percentage must be a finite Decimal, never float")
        scaled = value.scaleb(PERCENT_PLACES)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"more than {PERCENT_PLACES} decimal places: {value}")
        return int(scaled)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-PERCENT_PLACES)


PERCENT_PLACES = 4


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
