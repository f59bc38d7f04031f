"""Working days in a German federal state, and the rules that move a period's last day.

§ 193 BGB (a declaration or performance) and § 222 (2) ZPO (court periods) say the same:
when the last day of a period falls on a Saturday, a Sunday or a public holiday at the place
where the act is to be done, the next working day takes its place. Public holidays are state
law, so they differ by federal state (Reformationstag 31 October in Sachsen-Anhalt, not in
Bayern; Fronleichnam in Bayern, not in Niedersachsen).

The holidays come from the `holidays` package (country DE, subdivision = state, public
holidays only, German names), a data library: this module is the only place in the domain
that imports it. The municipal holidays the package keeps in other categories (Mariä
Himmelfahrt in Bavaria's Catholic communes, the Augsburger Friedensfest) are not counted:
no dunning court sits in such a commune (see gateway/data/court_dunning.toml).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays

from .errors import DomainError

# ISO 3166-2:DE codes of the 16 federal states.
GERMAN_STATES = ("BB", "BE", "BW", "BY", "HB", "HE", "HH", "MV",
                 "NI", "NW", "RP", "SH", "SL", "SN", "ST", "TH")
RULE_BGB_193 = "§ 193 BGB"
RULE_ZPO_222 = "§ 222 (2) ZPO"
_WEEKEND = {5: "Saturday", 6: "Sunday"}


class UnknownState(DomainError):
    """A code that names no German federal state."""


@dataclass(frozen=True)
class MovedDate:
    """The last day of a period, and whether a rule moved it off a non-working day.

    original: the day the period ends by the calendar; moved_to: the day it really ends
    (the same day when nothing moved it). rule and reason are None when it did not move;
    else rule names the law ("§ 193 BGB") and reason every day it skipped and why
    ("2022-12-31 Saturday; 2023-01-01 Sunday, Neujahr (public holiday in BY)").
    """

    original: date
    moved_to: date
    rule: str | None = None
    reason: str | None = None

    @property
    def moved(self) -> bool:
        return self.moved_to != self.original


def holiday_state(code: str) -> str:
    """The federal state whose holidays count for a seat code: "BY", "de-by" -> "BY";
    "NW-KOELN" (the OLG district Köln, a dunning-court distinction) -> "NW".

    Raises UnknownState for anything else.
    """
    state = code.strip().upper().removeprefix("DE-").split("-", 1)[0]
    if state not in GERMAN_STATES:
        raise UnknownState(f"{code!r} is no German state code ({', '.join(GERMAN_STATES)})")
    return state


def public_holiday(day: date, state: str) -> str | None:
    """The German name of the public holiday on that day in that state, None on other days."""
    return _holidays(holiday_state(state), day.year).get(day)


def is_working_day(day: date, state: str) -> bool:
    """Monday to Friday and no public holiday in the state."""
    return day.weekday() not in _WEEKEND and public_holiday(day, state) is None


def next_working_day(day: date, state: str) -> date:
    """The first working day in the state AFTER the given day (never the day itself)."""
    day += timedelta(days=1)
    while not is_working_day(day, state):
        day += timedelta(days=1)
    return day


def period_end(day: date, state: str, rule: str) -> MovedDate:
    """The real last day of a period that ends on `day` by the calendar, under a rule of the
    § 193 BGB kind: the day itself when it is a working day in the state, else the next one.

    rule: the law that applies (RULE_BGB_193 or RULE_ZPO_222); named in the result when the
    day moved.
    """
    state = holiday_state(state)
    if is_working_day(day, state):
        return MovedDate(day, day)
    moved_to = next_working_day(day, state)
    skipped = (day + timedelta(days=n) for n in range((moved_to - day).days))
    reason = "; ".join(f"{d.isoformat()} {_why_not_working(d, state)}" for d in skipped)
    return MovedDate(day, moved_to, rule, reason)


def latest_period_end(day: date, rule: str) -> MovedDate:
    """period_end where the state is not known: the latest of the 16 states' results.

    For a date on which the safe side is later (default starts, the earliest day to apply
    for something): no state's holidays can make it too early. The reason names the state.
    """
    ends = [(period_end(day, state, rule), state) for state in GERMAN_STATES]
    latest, state = max(ends, key=lambda end: end[0].moved_to)  # first state of the latest
    if not latest.moved:
        return latest
    return MovedDate(day, latest.moved_to, rule,
                     f"place unknown, latest in any state ({state}): {latest.reason}")


def _why_not_working(day: date, state: str) -> str:
    reasons = [_WEEKEND[day.weekday()]] if day.weekday() in _WEEKEND else []
    holiday = public_holiday(day, state)
    if holiday:
        reasons.append(f"{holiday} (public holiday in {state})")
    return ", ".join(reasons)


@cache
def _holidays(state: str, year: int) -> Mapping[date, str]:
    # A plain dict per state and year: the package's own object grows itself on lookup,
    # which threads serving requests should not share.
    return dict(holidays.country_holidays("DE", subdiv=state, years=year, language="de"))
