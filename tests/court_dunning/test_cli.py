"""`gateway dunning check|request` as staff run it: a real process on a real database."""
from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

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


def state(gateway, shop_claim_id="INV-2026-0001") -> ClaimState:
    return claim_service.get_claim(gateway.read_uow, "shop-a", shop_claim_id).state


def test_check_prints_the_preflight_as_plain_aligned_text(db_url, gateway, claim):
    result = run("dunning", "check", "shop-a", "INV-2026-0001", db_url=db_url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for line in ["     claim: shop-a / INV-2026-0001", "    result: ALLOWED",
                 "     court: AG Coburg", " court fee: 38.00 EUR", " catalogue: 11 Kaufvertrag"]:
        assert line in lines
    # Limitation ends three years after the end of the year the claim arose: fell due.
    arose = claim.content.due_date or claim.content.date_of_origin
    assert f"limitation: ends on {arose.year + 3}-12-31" in lines
    assert "reason" not in result.stdout and "\x1b[" not in result.stdout  # no colour in a pipe


def test_check_of_a_refused_claim_shows_every_reason(db_url, gateway):
    add_shop(gateway)
    submitted_claim(gateway, debtor=person(country="AT", postcode="1010"),
                    counter_performance_rendered=False, now=wall_now())
    result = run("dunning", "check", "shop-a", "INV-2026-0001", db_url=db_url)
    assert result.returncode == 0  # the check worked; its answer is "refused"
    assert "    result: REFUSED" in result.stdout.splitlines()
    reasons = [line for line in result.stdout.splitlines() if line.startswith("    reason: ")]
    assert [r.split(":")[1].strip() for r in reasons] == ["COUNTER_PERFORMANCE_MISSING",
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
    assert "    result: ALLOWED" in result.stdout.splitlines()
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
    assert "    reason: NO_FILE_NUMBER: " in result.stdout
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
