"""`gateway dunning check|request` as staff run it: a real process on a real database."""
from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from datetime import date

import pytest

from gateway.domain.lifecycle import ClaimState
from gateway.service import claims as claim_service
from tests.factories import content, person, wall_now, wall_today
from tests.integration.test_cli import run

from .helpers import add_shop, audit_rows, counts, submitted_claim

REQUEST = ("dunning", "request", "shop-a", "INV-2026-0001", "--instruction", "dunning-only",
           "--by", "Anna Schmidt")


# The CLI runs in its own process on the wall clock: the claims are dated from it.
@pytest.fixture
def claim(gateway):
    add_shop(gateway, seat="BY")
    return submitted_claim(gateway, now=wall_now())


def fields(stdout: str) -> list[tuple[str, str]]:
    """The check's aligned "label: value" lines as pairs (the alignment follows the longest
    label shown)."""
    pairs = []
    for line in stdout.splitlines():
        label, _, value = line.partition(": ")
        pairs.append((label.strip(), value))
    return pairs


def state(gateway, shop_claim_id="INV-2026-0001") -> ClaimState:
    return claim_service.get_claim(gateway.read_uow, "shop-a", shop_claim_id).state


def test_check_prints_the_preflight_as_plain_aligned_text(db_url, gateway, claim):
    result = run("dunning", "check", "shop-a", "INV-2026-0001", db_url=db_url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    width = len(lines[0].partition(": ")[0])
    assert all(line.index(": ") == width for line in lines)  # aligned on the colon
    shown = fields(result.stdout)
    for pair in [("claim", "shop-a / INV-2026-0001"), ("result", "ALLOWED"),
                 ("court", "AG Coburg (holidays of BY)"), ("court fee", "38.00 EUR"),
                 ("catalogue", "11 Kaufvertrag")]:
        assert pair in shown
    # Limitation ends three years after the end of the year the claim arose: fell due.
    arose = claim.content.due_date or claim.content.date_of_origin
    assert ("limitation", f"ends on {arose.year + 3}-12-31") in shown
    assert ("claim arose", f"{arose.isoformat()} (its dueDate; § 199 (1) BGB)") in shown
    labels = [label for label, _ in shown]
    assert {"last filing day", "default", "interest", "flat fee"} <= set(labels)
    assert "reason" not in result.stdout and "\x1b[" not in result.stdout  # no colour in a pipe


def test_check_shows_the_moved_last_filing_day_interest_and_flat_fee(db_url, gateway):
    """Due 2025-06-15 (a company, reminded 2025-07-01): limitation ends Sunday 2028-12-31 and
    an application still counts on Tuesday 2029-01-02 (§ 193 BGB: 1 January is a holiday);
    interest at base rate + 9 points from 2025-07-02 and the 40 EUR flat fee (§ 288 (2), (5)
    BGB). The CLI runs on the wall clock: the interest runs to today."""
    from tests.factories import company

    add_shop(gateway, seat="BY")
    submitted_claim(gateway, debtor=company(), date_of_origin=date(2025, 6, 1),
                    due_date=date(2025, 6, 15), date_of_last_reminder=date(2025, 7, 1),
                    now=wall_now())
    result = run("dunning", "check", "shop-a", "INV-2026-0001", db_url=db_url)
    assert result.returncode == 0, result.stderr
    shown = dict(fields(result.stdout))
    assert shown["last filing day"] == (
        "2029-01-02 (moved from 2028-12-31 by § 193 BGB: 2028-12-31 Sunday; "
        "2029-01-01 Neujahr (public holiday in BY))")
    assert shown["default"] == ("from 2025-07-02 (§ 286 (1) BGB: reminder of 2025-07-01, after "
                                "the due date 2025-06-15)")
    assert shown["interest"].endswith("(§ 288 (2) BGB: base rate + 9 points)")
    assert shown["interest"].split(" from ")[1].startswith("2025-07-02 to ")
    periods = [value for label, value in fields(result.stdout) if label == "interest period"]
    assert periods[0].startswith("2025-07-02 to 2025-12-31, 183 days at 10.27 % (base rate "
                                 "1.27 % CONFIRMED): ")
    assert shown["flat fee"] == "40.00 EUR (§ 288 (5) BGB)"


def test_check_of_a_claim_in_court_shows_the_moved_court_deadlines(db_url, gateway, claim):
    from gateway.domain.model import CourtDates

    with gateway.uow() as uow:  # served Friday 2025-10-17 by AG Coburg (Bavaria)
        stored = uow.claims.get("shop-a", "INV-2026-0001", for_update=True)
        stored.update_court_dates(CourtDates(dunning_order_served_on=date(2025, 10, 17)))
        uow.commit()
    shown = dict(fields(run("dunning", "check", "shop-a", "INV-2026-0001",
                            db_url=db_url).stdout))
    assert shown["objection ends"] == "2025-10-31"  # Reformationstag is no holiday in BY
    assert shown["enforcement from"] == "2025-11-01 (§ 699 (1) 2 ZPO: after the objection period)"
    assert shown["enforcement until"] == "2026-04-17"


def test_check_of_a_refused_claim_shows_every_reason(db_url, gateway):
    add_shop(gateway)
    submitted_claim(gateway, debtor=person(country="AT", postcode="1010"),
                    counter_performance_rendered=False, now=wall_now())
    result = run("dunning", "check", "shop-a", "INV-2026-0001", db_url=db_url)
    assert result.returncode == 0  # the check worked; its answer is "refused"
    assert ("result", "REFUSED") in fields(result.stdout)
    reasons = [value for label, value in fields(result.stdout) if label == "reason"]
    assert [r.split(":")[0] for r in reasons] == ["COUNTER_PERFORMANCE_MISSING",
                                                  "DEBTOR_ABROAD"]


def test_check_of_an_unknown_claim_is_one_line(db_url, gateway, claim):
    result = run("dunning", "check", "shop-b", "INV-2026-0001", db_url=db_url)
    assert result.returncode == 1
    assert result.stderr.strip() == "error: shop shop-b has no claim INV-2026-0001"


def test_request_without_terminal_and_without_yes_is_refused(db_url, gateway, claim):
    result = run(*REQUEST, db_url=db_url, input="y\n")  # a pipe is no terminal, even saying y
    assert result.returncode == 1
    assert result.stderr.strip() == ("error: no terminal to confirm on: pass --yes to request "
                                     "without confirmation")
    assert state(gateway) is ClaimState.SUBMITTED and audit_rows(gateway) == []


def test_request_with_yes_then_again_is_a_conflict(db_url, gateway, claim):
    result = run(*REQUEST, "--note", "zwei Mahnungen ohne Reaktion", "--yes", db_url=db_url)
    assert result.returncode == 0, result.stderr
    assert ("result", "ALLOWED") in fields(result.stdout)
    assert result.stdout.splitlines()[-1] == (
        "court dunning requested: shop-a / INV-2026-0001 is COURT_DUNNING_REQUESTED; "
        "the lawyer hand-over is queued for the agency")
    assert state(gateway) is ClaimState.COURT_DUNNING_REQUESTED
    [audit] = audit_rows(gateway)
    assert (audit.requested_by, audit.instruction, audit.note) == (
        "Anna Schmidt", "DUNNING_ONLY", "zwei Mahnungen ohne Reaktion")

    again = run(*REQUEST, "--yes", db_url=db_url)
    assert again.returncode == 1
    assert again.stderr.strip() == ("error: claim INV-2026-0001 is already in the court "
                                    "procedure: a request is pending")
    assert len(audit_rows(gateway)) == 1


def test_refused_request_exits_1_with_the_reasons(db_url, gateway):
    add_shop(gateway)
    # Not accepted by the agency yet.
    claim_service.submit_claim(gateway.uow, "shop-a", content(today=wall_today()))
    before = counts(gateway)
    result = run(*REQUEST, "--yes", db_url=db_url)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: court dunning refused: NO_FILE_NUMBER: ")
    assert any(label == "reason" and value.startswith("NO_FILE_NUMBER: ")
               for label, value in fields(result.stdout))
    assert counts(gateway) == before


def test_request_needs_instruction_and_name(db_url, gateway, claim):
    result = run("dunning", "request", "shop-a", "INV-2026-0001", "--instruction", "lawsuit",
                 "--by", "Anna", "--yes", db_url=db_url)
    assert result.returncode == 2 and "dunning-only" in result.stderr
    blank = run("dunning", "request", "shop-a", "INV-2026-0001", "--instruction", "dunning-only",
                "--by", "  ", "--yes", db_url=db_url)
    assert blank.returncode == 1
    assert blank.stderr.strip().startswith("error: requestedBy: is required")
    assert state(gateway) is ClaimState.SUBMITTED


# -- on a terminal ------------------------------------------------------------------------
def run_on_terminal(db_url: str, *args: str, answer: str) -> tuple[int, str]:
    """Run the command with a pseudo-terminal as stdin and stdout; answer the prompt."""
    leader, follower = pty.openpty()
    env = {**os.environ, "GATEWAY_LOG_FORMAT": "json", "GATEWAY_DATABASE_URL": db_url,
           "COLUMNS": "160", "TERM": "xterm"}
    process = subprocess.Popen([sys.executable, "-m", "gateway", *args], stdin=follower,
                               stdout=follower, stderr=follower, env=env, close_fds=True)
    os.close(follower)
    output, answered, deadline = b"", False, time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the process closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if not answered and b"[y/N]" in output:
                os.write(leader, answer.encode() + b"\n")
                answered = True
        elif process.poll() is not None:
            break
    process.wait(timeout=30)
    os.close(leader)
    return process.returncode, output.decode("utf-8", "replace")


@pytest.mark.parametrize("answer,code,expected", [
    ("n", 1, ClaimState.SUBMITTED),
    ("y", 0, ClaimState.COURT_DUNNING_REQUESTED),
])
def test_terminal_shows_a_table_and_asks_first(db_url, gateway, claim, answer, code, expected):
    returncode, output = run_on_terminal(db_url, *REQUEST, answer=answer)
    assert returncode == code, output
    assert "court dunning preflight" in output and "AG Coburg" in output  # the rich table
    assert "Request the court dunning order for shop-a / INV-2026-0001 (dunning-only)?" in output
    assert state(gateway) is expected
    assert len(audit_rows(gateway)) == (1 if answer == "y" else 0)
