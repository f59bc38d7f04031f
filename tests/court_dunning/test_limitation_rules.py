"""Limitation: when a claim arose (§ 199 (1) BGB), when it is time-barred (§ 195 BGB) and the
last day an application still suspends it (§ 193 BGB at the dunning court's seat).

Sources: § 195 BGB (three years); § 199 (1) BGB (from the end of the year the claim arose;
a payment claim with a payment term arises when it falls due); § 193 BGB (a last day on a
Saturday, Sunday or holiday at the place of the act moves to the next working day; the act
is filing with the competent dunning court); § 204 (1) Nr. 3 BGB. docs/domain.md
"Limitation (BGB)" and "Calendar rules"; issue 15. `today` is always passed in.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from gateway.domain.court_dunning import (
    Code,
    claim_arose_on,
    last_day_to_file,
    limitation_end,
    limitation_of,
    preflight,
)
from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import Claim
from tests.factories import content, company

D = date.fromisoformat


def claim_content(origin: str, due: str | None = None):
    return content(date_of_origin=D(origin), due_date=D(due) if due else None,
                   date_of_last_reminder=None, debtor=company())


def uncollectible(origin: str, due: str | None = None) -> Claim:
    """A claim the agency could not collect, with a file number: only limitation may refuse it."""
    return Claim(shop_id="shop-1", content=claim_content(origin, due),
                 state=ClaimState.UNCOLLECTIBLE, agency_file_number="12345678901")


# -- § 199 (1) BGB: the year the claim arose, from the due date when there is one -------------
# Source: § 199 (1) Nr. 1 BGB; issue 15 ("an invoice of December due in January gets a year more").
ARISING = [
    # date of origin, due date, arose on, from, limitation ends (31 Dec, year + 3)
    ("2025-12-15", "2026-01-14", "2026-01-14", "dueDate", "2029-12-31"),
    ("2025-12-15", None, "2025-12-15", "dateOfOrigin", "2028-12-31"),
    ("2025-03-01", "2025-03-15", "2025-03-15", "dueDate", "2028-12-31"),
    ("2023-12-20", "2024-01-03", "2024-01-03", "dueDate", "2027-12-31"),
    ("2024-02-29", None, "2024-02-29", "dateOfOrigin", "2027-12-31"),  # leap day
    ("2023-01-01", None, "2023-01-01", "dateOfOrigin", "2026-12-31"),
    ("2023-12-31", None, "2023-12-31", "dateOfOrigin", "2026-12-31"),
]


@pytest.mark.parametrize(("origin", "due", "arose_on", "arose_from", "ends"), ARISING)
def test_limitation_runs_from_the_end_of_the_year_the_claim_fell_due(origin, due, arose_on,
                                                                    arose_from, ends):
    assert claim_arose_on(claim_content(origin, due)) == (D(arose_on), arose_from)
    limitation = limitation_of(claim_content(origin, due), "BY")
    assert (limitation.arose_on, limitation.arose_from, limitation.ends_on) == (
        D(arose_on), arose_from, D(ends))
    assert limitation_end(D(arose_on)) == D(ends)


# -- § 193 BGB: the last day to file ----------------------------------------------------------
# Source: § 193 BGB; docs/domain.md "Calendar rules" (1 January is a holiday everywhere,
# 31 December nowhere, so every state gives the same day here).
YEAR_ENDS = [
    # limitation ends, weekday, last day to file (claims that arose in the year 3 before)
    ("2022-12-31", "Saturday", "2023-01-02"),  # claims of 2019
    ("2023-12-31", "Sunday", "2024-01-02"),  # claims of 2020: 1 January 2024 a Monday
    ("2024-12-31", "Tuesday", "2024-12-31"),
    ("2025-12-31", "Wednesday", "2025-12-31"),
    ("2026-12-31", "Thursday", "2026-12-31"),
    ("2027-12-31", "Friday", "2027-12-31"),
    ("2028-12-31", "Sunday", "2029-01-02"),  # claims of 2025: 1 January 2029 a Monday
    ("2029-12-31", "Monday", "2029-12-31"),
    ("2033-12-31", "Saturday", "2034-01-02"),  # claims of 2030: 1 January a Sunday
    ("2034-12-31", "Sunday", "2035-01-02"),  # claims of 2031
]


@pytest.mark.parametrize(("ends", "weekday", "last_day"), YEAR_ENDS)
@pytest.mark.parametrize("state", ["BY", "NW", "ST", "BE", "HH"])
def test_last_day_to_file_against_limitation(ends, weekday, last_day, state):
    assert D(ends).strftime("%A") == weekday  # the table says what it tests
    moved = last_day_to_file(D(ends), state)
    assert moved.original == D(ends)
    assert moved.moved_to == D(last_day)
    assert moved.rule == ("§ 193 BGB" if ends != last_day else None)


def test_the_moved_last_day_says_why():
    moved = last_day_to_file(D("2028-12-31"), "NW")
    assert moved.reason == ("2028-12-31 Sunday; "
                            "2029-01-01 Neujahr (public holiday in NW)")


# -- the preflight at the edge of limitation, with the court's seat ----------------------------
# Source: §§ 193, 195, 199 BGB; issue 15 ("refuses such claims as time-barred on 1 and 2
# January although they can still be filed").
PREFLIGHT_EDGES = [
    # origin, due, seat, today, refused as time-barred?, days left in the warning (None: no
    # warning, more than 60 days left or barred)
    ("2019-06-01", None, "BY", "2022-12-31", False, 2),
    ("2019-06-01", None, "BY", "2023-01-01", False, 1),
    ("2019-06-01", None, "BY", "2023-01-02", False, 0),  # the moved last day: still in time
    ("2019-06-01", None, "BY", "2023-01-03", True, None),
    ("2025-12-15", None, "NW-KOELN", "2029-01-02", False, 0),  # 31 Dec 2028 a Sunday
    ("2025-12-15", None, "NW-KOELN", "2029-01-03", True, None),
    ("2025-12-15", "2026-01-14", "NW", "2029-01-03", False, None),  # due in 2026: a year more
    ("2025-12-15", "2026-01-14", "NW", "2029-11-01", False, 60),
    ("2025-12-15", "2026-01-14", "NW", "2029-12-31", False, 0),
    ("2025-12-15", "2026-01-14", "NW", "2030-01-01", True, None),
    ("2022-11-30", None, None, "2025-12-31", False, 0),  # a Wednesday: nothing moves
    ("2022-11-30", None, None, "2026-01-01", True, None),
]


@pytest.mark.parametrize(("origin", "due", "seat", "today", "barred", "days_left"), PREFLIGHT_EDGES)
def test_preflight_refuses_only_after_the_last_day_to_file(origin, due, seat, today, barred,
                                                           days_left):
    result = preflight(uncollectible(origin, due), D(today), seat)
    assert result.reason_codes == ((Code.TIME_BARRED,) if barred else ())
    warnings = [w for w in result.warnings if w.code is Code.LIMITATION_SOON]
    if days_left is None:
        assert warnings == []
    else:
        assert f"in {days_left} days" in warnings[0].message


def test_preflight_shows_the_legal_end_and_the_moved_last_day_with_its_rule():
    result = preflight(uncollectible("2019-06-01"), D("2022-12-20"), "BY")
    assert result.limitation_ends_on == D("2022-12-31")  # the legal end stays as it is
    assert result.last_filing_day.moved_to == D("2023-01-02")
    assert result.last_filing_day.rule == "§ 193 BGB"
    assert result.court_seat_state == "BY"
    [warning] = result.warnings
    assert "2022-12-31" in warning.message and "2023-01-02" in warning.message
    assert "§ 193 BGB" in warning.message
    assert dict(warning.facts) == {
        "limitationEndsOn": "2022-12-31", "lastFilingDay": "2023-01-02",
        "aroseOn": "2019-06-01", "aroseFrom": "dateOfOrigin", "lastFilingDayMovedBy": "§ 193 BGB"}


def test_time_barred_message_names_the_last_day_when_it_moved():
    result = preflight(uncollectible("2020-05-05"), D("2024-01-03"), "HH")
    [reason] = result.reasons
    assert reason.code is Code.TIME_BARRED
    assert "2023-12-31" in reason.message and "2024-01-02" in reason.message
    assert dict(reason.facts)["lastFilingDay"] == "2024-01-02"


def test_preflight_limitation_uses_the_due_date():
    claim = uncollectible("2025-12-15", "2026-01-14")
    result = preflight(claim, D("2026-03-01"), "BY")
    assert (result.limitation.arose_on, result.limitation.arose_from) == (D("2026-01-14"), "dueDate")
    assert result.limitation_ends_on == D("2029-12-31")
    without_due = replace(claim, content=replace(claim.content, due_date=None))
    assert preflight(without_due, D("2026-03-01"), "BY").limitation_ends_on == D("2028-12-31")
