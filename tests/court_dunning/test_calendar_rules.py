"""Working days per federal state and § 222 (2) ZPO for the court deadlines.

Sources: § 222 (1), (2) ZPO (a court period ending on a Saturday, Sunday or general holiday
ends on the next working day; the holidays at the court's seat count); § 692 (1) Nr. 3 ZPO
(objection within two weeks of service); § 699 (1) 2 ZPO (the enforcement order may be
applied for only after the objection period); § 701 ZPO (six months from service);
§ 188 (2), (3) BGB (month periods, the month's last day when it has no such day);
§ 204 (2) BGB (suspension ends six months after the procedure stalled). Holidays: the
states' holiday laws as the `holidays` package has them (docs/domain.md, "Calendar rules").
Every date is pinned; nothing reads the real clock.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from gateway.domain.court_dunning import (
    UnknownCourt,
    court_deadlines,
    court_for_seat,
    court_seat_state,
)
from gateway.domain.model import CourtDates
from gateway.domain.working_days import (
    GERMAN_STATES,
    RULE_BGB_193,
    RULE_ZPO_222,
    UnknownState,
    holiday_state,
    is_working_day,
    latest_period_end,
    next_working_day,
    period_end,
    public_holiday,
)

D = date.fromisoformat


# -- holidays per state -------------------------------------------------------------------
# Source: the states' holiday laws (Feiertagsgesetze); docs/domain.md "Calendar rules".
HOLIDAYS_IN_ONE_STATE_NOT_ANOTHER = [
    # day, holiday, states where it is one, states where it is not
    ("2025-10-31", "Reformationstag", ["ST", "NI", "SN", "TH", "HH", "HB", "SH", "BB", "MV"],
     ["BY", "NW", "BE", "BW", "RP", "HE"]),
    ("2026-06-04", "Fronleichnam", ["BY", "NW", "BW", "HE", "RP", "SL"], ["NI", "BE", "ST", "HH"]),
    ("2027-11-01", "Allerheiligen", ["BY", "NW", "BW", "RP", "SL"], ["BE", "NI", "ST", "HH"]),
    ("2027-03-08", "Frauentag", ["BE", "MV"], ["BY", "NW", "HH", "ST"]),
    ("2026-01-06", "Heilige Drei Könige", ["BY", "BW", "ST"], ["NW", "BE", "NI"]),
]


@pytest.mark.parametrize(("day", "name", "holiday_in", "working_in"),
                         HOLIDAYS_IN_ONE_STATE_NOT_ANOTHER)
def test_holidays_that_exist_in_one_state_and_not_in_another(day, name, holiday_in, working_in):
    for state in holiday_in:
        assert public_holiday(D(day), state) == name, state
        assert not is_working_day(D(day), state), state
    for state in working_in:
        assert public_holiday(D(day), state) is None, state
        assert is_working_day(D(day), state), state


@pytest.mark.parametrize(("day", "name"), [
    ("2025-01-01", "Neujahr"), ("2028-04-14", "Karfreitag"), ("2026-05-25", "Pfingstmontag"),
    ("2031-10-03", "Tag der Deutschen Einheit"), ("2026-12-26", "Zweiter Weihnachtstag"),
])
def test_federal_holidays_count_in_every_state(day, name):
    assert {public_holiday(D(day), state) for state in GERMAN_STATES} == {name}


@pytest.mark.parametrize(("day", "working"), [
    ("2025-12-31", True),  # Silvester is no holiday anywhere
    ("2026-01-02", True),
    ("2022-12-31", False),  # Saturday
    ("2023-12-31", False),  # Sunday
    ("2025-08-15", True),  # Mariä Himmelfahrt: a communal holiday only, not counted in BY
    ("2024-02-29", True),
])
def test_working_days_in_bavaria(day, working):
    assert is_working_day(D(day), "BY") is working


@pytest.mark.parametrize(("code", "state"), [
    ("BY", "BY"), ("de-by", "BY"), (" nw ", "NW"), ("NW-KOELN", "NW"), ("DE-NW-KOELN", "NW")])
def test_seat_codes_map_to_the_state_whose_holidays_count(code, state):
    assert holiday_state(code) == state


@pytest.mark.parametrize("code", ["", "XX", "AT", "NRW", "KOELN"])
def test_an_unknown_state_is_refused_by_name(code):
    with pytest.raises(UnknownState, match=repr(code)):
        is_working_day(D("2026-01-05"), code)


@pytest.mark.parametrize(("day", "state", "expected"), [
    ("2026-01-02", "BY", "2026-01-05"),  # Friday -> Monday: always AFTER the day
    ("2025-10-30", "ST", "2025-11-03"),  # Reformationstag, weekend
    ("2025-10-30", "BY", "2025-10-31"),
    ("2026-12-24", "HH", "2026-12-28"),  # 25 and 26 December, then Sunday
])
def test_next_working_day_is_strictly_after_the_day(day, state, expected):
    assert next_working_day(D(day), state) == D(expected)


def test_a_moved_date_names_the_rule_and_every_day_it_skipped():
    moved = period_end(D("2022-12-31"), "BY", RULE_BGB_193)
    assert (moved.original, moved.moved_to, moved.moved) == (D("2022-12-31"), D("2023-01-02"), True)
    assert moved.rule == "§ 193 BGB"
    assert moved.reason == ("2022-12-31 Saturday; "
                            "2023-01-01 Sunday, Neujahr (public holiday in BY)")


def test_a_working_day_is_not_moved_and_names_no_rule():
    moved = period_end(D("2025-12-31"), "BY", RULE_BGB_193)
    assert (moved.moved_to, moved.moved, moved.rule, moved.reason) == (
        D("2025-12-31"), False, None, None)


def test_without_a_known_place_the_latest_state_counts():
    # Reformationstag (Friday) counts in Sachsen-Anhalt, not in Bavaria: the latest wins.
    moved = latest_period_end(D("2025-10-31"), RULE_BGB_193)
    assert moved.moved_to == D("2025-11-03")
    assert "Reformationstag" in moved.reason and "place unknown" in moved.reason
    assert not latest_period_end(D("2025-10-30"), RULE_BGB_193).moved


# -- the dunning courts' seats --------------------------------------------------------------
# Source: docs/domain.md "Competent dunning court"; the seats as the brief of issue 15 lists.
@pytest.mark.parametrize(("court", "state"), [
    ("AG Coburg", "BY"), ("AG Hagen", "NW"), ("AG Euskirchen", "NW"), ("AG Aschersleben", "ST"),
    ("AG Wedding", "BE"), ("AG Stuttgart", "BW"), ("AG Hünfeld", "HE"), ("AG Uelzen", "NI"),
    ("AG Mayen", "RP"), ("AG Bremen", "HB"), ("AG Hamburg-Altona", "HH"), ("AG Schleswig", "SH"),
])
def test_each_dunning_court_has_the_state_of_its_seat(court, state):
    assert court_seat_state(court) == state


def test_every_applicant_seat_leads_to_a_court_with_a_known_seat():
    for seat in [*GERMAN_STATES, "NW-KOELN", None]:
        assert court_seat_state(court_for_seat(seat)) in GERMAN_STATES


def test_an_unknown_court_is_refused():
    with pytest.raises(UnknownCourt, match="AG Nirgendwo"):
        court_deadlines(CourtDates(dunning_order_served_on=D("2026-03-02")), "AG Nirgendwo")


# -- § 222 (2) ZPO: the objection period (served + 14 days) at the court's seat ---------------
# Source: § 692 (1) Nr. 3, § 222 (2), § 699 (1) 2 ZPO.
OBJECTION_PERIOD = [
    # served, court, objection period ends (moved), earliest day to apply for the VB
    ("2025-03-10", "AG Coburg", "2025-03-24", "2025-03-25"),  # Monday: nothing moves
    ("2025-10-17", "AG Aschersleben", "2025-11-03", "2025-11-04"),  # Reformationstag in ST
    ("2025-10-17", "AG Coburg", "2025-10-31", "2025-11-01"),  # ... not in BY
    ("2025-10-17", "AG Uelzen", "2025-11-03", "2025-11-04"),  # ... and in NI
    ("2027-10-18", "AG Coburg", "2027-11-02", "2027-11-03"),  # Allerheiligen in BY
    ("2027-10-18", "AG Hagen", "2027-11-02", "2027-11-03"),  # ... and in NW
    ("2027-10-18", "AG Wedding", "2027-11-01", "2027-11-02"),  # ... not in BE
    ("2026-05-21", "AG Coburg", "2026-06-05", "2026-06-06"),  # Fronleichnam in BY
    ("2026-05-21", "AG Uelzen", "2026-06-04", "2026-06-05"),  # ... not in NI
    ("2027-02-22", "AG Wedding", "2027-03-09", "2027-03-10"),  # Frauentag in BE
    ("2027-02-22", "AG Coburg", "2027-03-08", "2027-03-09"),  # ... not in BY
    ("2025-12-23", "AG Coburg", "2026-01-07", "2026-01-08"),  # Heilige Drei Könige in BY
    ("2025-12-23", "AG Hagen", "2026-01-06", "2026-01-07"),  # ... not in NW
    ("2025-12-20", "AG Coburg", "2026-01-05", "2026-01-06"),  # over the year end, Saturday
    ("2026-12-11", "AG Hamburg-Altona", "2026-12-28", "2026-12-29"),  # Christmas, Sunday
    ("2025-08-01", "AG Coburg", "2025-08-15", "2025-08-16"),  # Mariä Himmelfahrt: not in Coburg
]


@pytest.mark.parametrize(("served", "court", "ends", "earliest"), OBJECTION_PERIOD)
def test_objection_period_ends_on_the_next_working_day_at_the_courts_seat(served, court, ends,
                                                                         earliest):
    deadlines = court_deadlines(CourtDates(dunning_order_served_on=D(served)), court)
    end = deadlines.objection_period_end
    assert end.original == D(served) + timedelta(days=14)
    assert deadlines.objection_period_ends_on == end.moved_to == D(ends)
    assert end.rule == ("§ 222 (2) ZPO" if end.moved else None)
    # § 699 (1) 2 ZPO: only after the period has ended, never on its last day.
    assert deadlines.enforcement_order_earliest_on == D(earliest)
    assert deadlines.court_seat_state == court_seat_state(court)


def test_the_moved_objection_end_says_which_holiday_moved_it():
    deadlines = court_deadlines(CourtDates(dunning_order_served_on=D("2025-10-17")),
                                "AG Aschersleben")
    assert deadlines.objection_period_end.rule == RULE_ZPO_222
    assert deadlines.objection_period_end.reason.startswith(
        "2025-10-31 Reformationstag (public holiday in ST)")


# -- § 222 (2) ZPO: the six months of § 701 ZPO, month ends and leap years ------------------
# Source: § 701 ZPO, § 188 (2), (3) BGB, § 222 (2) ZPO.
ENFORCEMENT_ORDER_LAST_DAY = [
    # served, court, served + 6 months by the calendar, last day (moved)
    ("2025-03-10", "AG Coburg", "2025-09-10", "2025-09-10"),
    ("2023-08-31", "AG Coburg", "2024-02-29", "2024-02-29"),  # leap year: 29 Feb, Thursday
    ("2027-08-31", "AG Hagen", "2028-02-29", "2028-02-29"),  # leap year: 29 Feb, Tuesday
    ("2025-08-31", "AG Coburg", "2026-02-28", "2026-03-02"),  # 28 Feb is a Saturday
    ("2026-08-31", "AG Coburg", "2027-02-28", "2027-03-01"),  # 28 Feb is a Sunday
    ("2026-09-08", "AG Wedding", "2027-03-08", "2027-03-09"),  # Frauentag in BE
    ("2026-09-08", "AG Hamburg-Altona", "2027-03-08", "2027-03-08"),  # ... not in HH
    ("2025-11-25", "AG Uelzen", "2026-05-25", "2026-05-26"),  # Pfingstmontag everywhere
    ("2027-05-01", "AG Coburg", "2027-11-01", "2027-11-02"),  # Allerheiligen in BY
    ("2027-05-01", "AG Wedding", "2027-11-01", "2027-11-01"),  # ... not in BE
    ("2025-04-30", "AG Coburg", "2025-10-30", "2025-10-30"),  # 30 April + 6 months: 30 Oct
]


@pytest.mark.parametrize(("served", "court", "calendar_day", "last_day"), ENFORCEMENT_ORDER_LAST_DAY)
def test_enforcement_order_deadline_moves_to_the_next_working_day(served, court, calendar_day,
                                                                  last_day):
    deadlines = court_deadlines(CourtDates(dunning_order_served_on=D(served)), court)
    assert deadlines.enforcement_order_last_day.original == D(calendar_day)
    assert deadlines.enforcement_order_deadline == D(last_day)
    assert deadlines.enforcement_order_last_day.rule == (
        RULE_ZPO_222 if calendar_day != last_day else None)


# -- § 204 (2) BGB: the end of the suspension is shown unmoved ---------------------------------
# Source: § 204 (2) BGB; § 193 BGB not applied (no period for a declaration): the earlier
# day is the safe one for a reminder.
@pytest.mark.parametrize(("stalled", "ends"), [
    ("2025-03-31", "2025-09-30"),
    ("2026-09-27", "2027-03-27"),  # a Saturday, kept
    ("2025-08-31", "2026-02-28"),  # a Saturday and a month end, kept
    ("2027-08-31", "2028-02-29"),  # leap year
])
def test_limitation_suspension_end_is_never_moved(stalled, ends):
    deadlines = court_deadlines(CourtDates(procedure_stalled_on=D(stalled)), "AG Coburg")
    assert deadlines.limitation_suspension_ends_on == D(ends)
    assert not deadlines.limitation_suspension_end.moved
    assert deadlines.objection_period_end is deadlines.enforcement_order_earliest_on is None


def test_no_court_dates_no_deadlines():
    deadlines = court_deadlines(CourtDates(), "AG Coburg")
    assert (deadlines.objection_period_ends_on, deadlines.enforcement_order_earliest_on,
            deadlines.enforcement_order_deadline, deadlines.limitation_suspension_ends_on) == (
        None, None, None, None)


# -- without the court: calendar dates, and the earliest application never too early --------
def test_without_the_court_dates_stay_but_the_earliest_application_is_safe():
    deadlines = court_deadlines(CourtDates(dunning_order_served_on=D("2025-10-17")))
    assert deadlines.court_seat_state is None
    assert deadlines.objection_period_ends_on == D("2025-10-31")  # not moved
    assert not deadlines.objection_period_end.moved
    # Reformationstag in some state would end the period on 3 November there.
    assert deadlines.enforcement_order_earliest_on == D("2025-11-04")
    assert deadlines.enforcement_order_deadline == D("2026-04-17")
