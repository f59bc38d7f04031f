"""German calendar days for the legal rules: limitation, court deadlines, default and the
hand-over day all run on days in Germany, not in UTC."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

# At 00:30 on 1 January in Germany it is still 31 December in UTC: a claim time-barred
# that night would pass, and a claim waiting for 1 January would go out an hour early.
COURT_TIME_ZONE = ZoneInfo("Europe/Berlin")


def court_date(at: datetime) -> date:
    """The calendar day in Germany at a moment (aware datetimes; naive ones count as UTC)."""
    if at.tzinfo is None:
        return at.date()
    return at.astimezone(COURT_TIME_ZONE).date()


def start_of_court_day(day: date) -> datetime:
    """The first moment of a calendar day in Germany, as an aware datetime."""
    return datetime.combine(day, time(0), tzinfo=COURT_TIME_ZONE)
