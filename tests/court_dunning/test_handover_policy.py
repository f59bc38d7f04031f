"""The shop's hand-over policy: a claim not yet in default waits and the worker hands it over
on its day, with no further call from the shop, never before; the shop can cancel it first.

Sources: § 286 (1) BGB (default by a reminder after the due date), § 286 (3) BGB (30 days
after due date and invoice; against a consumer only if the invoice said so), § 193 BGB (that
30th day moves off a weekend or holiday); the waits after the due date and the last reminder
are shop policy (shop plugins: about 10 and 5 days, docs/agency-mediafinanz.md).

The worker runs on a clock it is handed (Dispatcher(clock=...)), on SQLite and PostgreSQL,
against the in-memory agency.
"""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import text

from gateway.dispatch import Dispatcher
from gateway.domain.errors import Conflict, DomainError, ValidationFailed
from gateway.domain.handover import (HandoverMode, HandoverPolicy, NeverInDefault,
                                     handover_readiness)
from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import MessageKind
from gateway.service import claims as uc
from gateway.service.agency_port import AgencyTransient
from gateway.service.court_calendar import start_of_court_day
from gateway.service.shops import add_shop, update_shop
from tests.agency_in_memory import InMemoryAgency, InMemoryRoutes
from tests.dispatch.conftest import FAST_RETRY, Running, outbox_rows, wait_for
from tests.factories import NOW, company, content, person

CLIENT = ("4711", "key-of-client-4711")
WAIT = HandoverPolicy(HandoverMode.WHEN_IN_DEFAULT)  # 10 days after due, 5 after the reminder
S = ClaimState


# -- the rule, table-driven -------------------------------------------------------------
def claim_of(debtor, due: date | None, reminder: date | None, origin: date | None = None):
    origin = origin or (due - timedelta(days=14) if due else date(2026, 9, 1))
    return content(debtor=debtor, date_of_origin=origin, due_date=due,
                   date_of_last_reminder=reminder)


@pytest.mark.parametrize("case, debtor, due, reminder, policy, ready_on, rule", [
    # § 286 (1) BGB: in default the day after a reminder sent after the due date; the shop
    # waits 5 more days after that reminder: 2026-11-18 + 5.
    ("consumer reminded", person(), date(2026, 10, 1), date(2026, 11, 18), WAIT,
     date(2026, 11, 23), "§ 286 (1) BGB"),
    # The 10 days after the due date are the latest condition here.
    ("due date decides", person(), date(2026, 11, 10), date(2026, 11, 12), WAIT,
     date(2026, 11, 20), "§ 286 (1) BGB"),
    # § 286 (3) BGB: a business debtor is in default 30 days after due date and invoice
    # without a reminder; the 30th day, Saturday 2026-10-31 (also Reformationstag in some
    # states), moves to Monday 2026-11-02 (§ 193 BGB), default from 2026-11-03.
    ("business, 30 days, Saturday", company(), date(2026, 10, 1), None, WAIT,
     date(2026, 11, 3), "§ 286 (3) BGB"),
    # No waits: ready the day default begins.
    ("no waits", person(), date(2026, 10, 1), date(2026, 11, 18),
     replace(WAIT, days_after_due=0, days_after_reminder=0), date(2026, 11, 19),
     "§ 286 (1) BGB"),
    # A leap year: 10 days after 2028-02-19 is 2028-02-29.
    ("leap year", company(), date(2028, 2, 19), date(2028, 2, 20),
     replace(WAIT, days_after_reminder=0), date(2028, 2, 29), "§ 286 (1) BGB"),
    # Without a due date the claim is due at its origin (§ 271 (1) BGB).
    ("no due date", person(), None, date(2026, 9, 20), WAIT, date(2026, 9, 25),
     "§ 286 (1) BGB"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_the_day_a_claim_becomes_ready(case, debtor, due, reminder, policy, ready_on, rule):
    readiness = handover_readiness(claim_of(debtor, due, reminder), policy)
    assert readiness.ready_on == ready_on
    assert readiness.default_begins.rule == rule
    assert readiness.ready(ready_on) and not readiness.ready(ready_on - timedelta(days=1))
    assert len(readiness.conditions) == (3 if reminder else 2)
    assert max(readiness.conditions).startswith(ready_on.isoformat())


@pytest.mark.parametrize("reminder", [None, date(2026, 9, 30)],
                         ids=["no reminder", "reminder before the due date"])
def test_a_consumer_without_a_reminder_after_the_due_date_is_never_ready(reminder):
    # § 286 (3) 1 BGB: the 30-day rule binds a consumer only when the invoice said so, which
    # the claim does not tell; a reminder before the due date puts nobody in default.
    with pytest.raises(NeverInDefault, match="dateOfLastReminder"):
        handover_readiness(claim_of(person(), date(2026, 10, 1), reminder), WAIT)
    assert handover_readiness(claim_of(person(), date(2026, 10, 1), reminder),
                              HandoverPolicy()) is None  # IMMEDIATE: at once


@pytest.mark.parametrize("days", [-1, 366, 1.5, True])
def test_a_policy_refuses_impossible_waits(days):
    with pytest.raises(DomainError, match="whole number of days"):
        HandoverPolicy(HandoverMode.WHEN_IN_DEFAULT, days_after_due=days)


# -- the use cases on both databases ------------------------------------------------------
READY_ON = date(2026, 11, 23)  # Monday: the reminder of 2026-11-18 + 5 days
START_OF_READY_DAY = datetime(2026, 11, 22, 23, 0, tzinfo=timezone.utc)  # 00:00 in Berlin


def waiting_content(shop_claim_id: str = "RE-1", **changes):
    """Reminded 2026-11-18, after the due date: in default from 2026-11-19, ready 5 days after
    the reminder."""
    return content(shop_claim_id, **{"date_of_last_reminder": date(2026, 11, 18), **changes})


@pytest.fixture
def agency(gateway) -> InMemoryAgency:
    """shop-wait (WHEN_IN_DEFAULT) and shop-now (IMMEDIATE) on one in-memory agency client."""
    add_shop(gateway.uow, "shop-wait", password="correct horse battery",
             agency_client_id=CLIENT[0], agency_client_key=CLIENT[1], handover=WAIT)
    add_shop(gateway.uow, "shop-now", password="correct horse battery",
             agency_client_id=CLIENT[0], agency_client_key=CLIENT[1])
    return InMemoryAgency({CLIENT[0]: CLIENT[1]})


def worker(gateway, agency, clock) -> Running:
    return Running(Dispatcher(gateway, InMemoryRoutes(agency), concurrency=2, poll_s=0.02,
                              policy=FAST_RETRY, clock=clock))


def claim(gateway, shop_claim_id: str = "RE-1", shop_id: str = "shop-wait"):
    return uc.get_claim(gateway.read_uow, shop_id, shop_claim_id)


def test_a_claim_not_in_default_is_stored_waiting_with_its_day(gateway, agency):
    receipt = uc.submit_claim(gateway.uow, "shop-wait", waiting_content(), now=NOW)
    assert receipt.created and receipt.claim.state is S.WAITING_FOR_DEFAULT

    stored, events = uc.get_history(gateway.read_uow, "shop-wait", "RE-1")
    assert (stored.state, stored.handover_ready_on) == (S.WAITING_FOR_DEFAULT, READY_ON)
    assert [(e.what, e.state_after) for e in events] == [
        ("received", S.RECEIVED), ("waiting_for_default", S.WAITING_FOR_DEFAULT)]
    assert events[1].details["readyOn"] == "2026-11-23"
    assert events[1].details["conditions"] == [
        "2026-11-19: in default from 2026-11-19 (§ 286 (1) BGB: reminder of 2026-11-18, "
        "after the due date 2026-09-15)",
        "2026-09-25: 10 days after the due date 2026-09-15",
        "2026-11-23: 5 days after the last reminder 2026-11-18"]
    # Its hand-over is queued now and due at the start of the ready day in Germany.
    [row] = outbox_rows(gateway)
    assert (row.kind, row.state, row.attempts) == ("SUBMIT_CLAIM", "pending", 0)
    assert row.available_at == START_OF_READY_DAY == start_of_court_day(READY_ON)

    # The same content again: the original receipt, nothing written.
    again = uc.submit_claim(gateway.uow, "shop-wait", waiting_content(), now=NOW)
    assert not again.created and again.claim.state is S.WAITING_FOR_DEFAULT
    assert len(outbox_rows(gateway)) == 1


def test_a_ready_claim_and_an_immediate_shop_go_at_once(gateway, agency):
    ready = uc.submit_claim(gateway.uow, "shop-wait", content("READY"), now=NOW).claim
    at_once = uc.submit_claim(gateway.uow, "shop-now", waiting_content(), now=NOW).claim
    assert (ready.state, at_once.state) == (S.RECEIVED, S.RECEIVED)
    assert ready.handover_ready_on is None
    assert [r.available_at for r in outbox_rows(gateway)] == [NOW, NOW]


def test_a_claim_that_can_never_be_ready_is_refused_naming_the_field(gateway, agency):
    never = waiting_content(date_of_last_reminder=None)
    with pytest.raises(ValidationFailed) as refused:
        uc.submit_claim(gateway.uow, "shop-wait", never, now=NOW)
    [error] = refused.value.errors
    assert error.path == "claim.dateOfLastReminder" and "§ 286 BGB" in error.message
    assert outbox_rows(gateway) == []
    # A shop that hands over at once takes it, as before.
    assert uc.submit_claim(gateway.uow, "shop-now", never, now=NOW).created


def test_the_worker_hands_it_over_on_its_day_and_never_before(gateway, agency):
    uc.submit_claim(gateway.uow, "shop-wait", waiting_content(), now=NOW)
    # The last second before the ready day, in Berlin: the worker leases and delivers (an
    # immediate claim submitted meanwhile goes out) but leaves the waiting claim alone.
    last_second = START_OF_READY_DAY - timedelta(seconds=1)
    with worker(gateway, agency, lambda: last_second):
        uc.submit_claim(gateway.uow, "shop-now", content("NOW-1"), now=last_second)
        wait_for(lambda: claim(gateway, "NOW-1", "shop-now").agency_file_number, 10.0,
                 "the immediate claim handed over")
        time.sleep(0.3)  # many more lease rounds on the same clock
    assert agency.calls["submit_claim"] == 1
    waiting = claim(gateway)
    assert (waiting.state, waiting.agency_file_number) == (S.WAITING_FOR_DEFAULT, None)
    [row] = [r for r in outbox_rows(gateway) if r.claim_id == waiting.id]
    assert (row.state, row.attempts) == ("pending", 0)

    # A clock that ticks over midnight into the ready day: handed over with no call from
    # the shop, and recorded at or after the day's first moment.
    started = time.monotonic()
    with worker(gateway, agency,
                lambda: last_second + timedelta(seconds=time.monotonic() - started)):
        wait_for(lambda: claim(gateway).state is S.SUBMITTED, 10.0, "handed over on its day")
    handed = claim(gateway)
    assert handed.agency_file_number == agency.file_number(CLIENT[0], "SHOPWA.RE-1")
    _, events = uc.get_history(gateway.read_uow, "shop-wait", "RE-1")
    accepted = [e for e in events if e.what == "agency_accepted"]
    assert [e.state_before for e in accepted] == [S.WAITING_FOR_DEFAULT]
    assert accepted[0].at >= START_OF_READY_DAY
    assert handed.handover_ready_on == READY_ON  # kept: when it was handed over


def test_a_waiting_claim_cancelled_before_its_day_never_reaches_the_agency(gateway, agency):
    uc.submit_claim(gateway.uow, "shop-wait", waiting_content(), now=NOW)
    cancelled = uc.cancel_claim(gateway.uow, "shop-wait", "RE-1", "paid at the till",
                                now=NOW + timedelta(days=1))
    assert cancelled.state is S.CANCELLED
    [row] = outbox_rows(gateway)
    assert row.state == "done" and row.attempts == 0 and row.last_error.startswith("never sent")
    _, events = uc.get_history(gateway.read_uow, "shop-wait", "RE-1")
    assert (events[-1].what, events[-1].details) == ("cancelled_before_handover",
                                                     {"reason": "paid at the till"})
    # Asking again changes nothing.
    assert uc.cancel_claim(gateway.uow, "shop-wait", "RE-1", None).state is S.CANCELLED

    with worker(gateway, agency, lambda: START_OF_READY_DAY + timedelta(hours=1)):
        uc.submit_claim(gateway.uow, "shop-now", content("NOW-1"),
                        now=START_OF_READY_DAY + timedelta(hours=1))
        wait_for(lambda: claim(gateway, "NOW-1", "shop-now").agency_file_number, 10.0,
                 "the worker at work")
        time.sleep(0.2)
    assert agency.calls["submit_claim"] == 1  # NOW-1 only
    assert agency.file_number(CLIENT[0], "SHOPWA.RE-1") is None


def test_a_cancel_after_a_failed_attempt_goes_behind_the_hand_over(gateway, agency):
    """Once a worker tried the hand-over, the agency may have it (a lost answer): the cancel
    is queued behind it, as for any claim handed over."""
    uc.submit_claim(gateway.uow, "shop-wait", waiting_content(), now=NOW)
    on_the_day = START_OF_READY_DAY + timedelta(hours=8)
    agency.failures.append(AgencyTransient("the agency is down"))
    with worker(gateway, agency, lambda: on_the_day):  # the clock stands: no retry yet
        wait_for(lambda: outbox_rows(gateway)[0].last_error, 10.0, "one failed attempt")
    assert claim(gateway).state is S.WAITING_FOR_DEFAULT

    assert uc.cancel_claim(gateway.uow, "shop-wait", "RE-1", None,
                           now=on_the_day).state is S.CANCEL_REQUESTED
    assert [(r.kind, r.state) for r in outbox_rows(gateway)] == [
        ("SUBMIT_CLAIM", "pending"), ("CANCEL_CLAIM", "pending")]
    later = on_the_day + timedelta(hours=1)
    with worker(gateway, agency, lambda: later):
        wait_for(lambda: all(r.state == "done" for r in outbox_rows(gateway)), 10.0,
                 "hand-over, then the cancel")
    number = agency.file_number(CLIENT[0], "SHOPWA.RE-1")
    assert number and ("close", number) in agency.actions


def test_a_direct_payment_on_a_waiting_claim_is_refused(gateway, agency):
    uc.submit_claim(gateway.uow, "shop-wait", waiting_content(), now=NOW)
    with pytest.raises(Conflict, match="cancel it"):
        uc.report_direct_payment(gateway.uow, "shop-wait", "RE-1", NOW.date(),
                                 Decimal("10.00"), now=NOW)
    assert len(outbox_rows(gateway)) == 1


def test_a_policy_change_applies_to_new_claims_only(gateway, agency):
    uc.submit_claim(gateway.uow, "shop-wait", waiting_content("OLD"), now=NOW)
    assert update_shop(gateway.uow, "shop-wait", handover_mode=HandoverMode.IMMEDIATE) == [
        "handover_policy (immediate)"]
    assert update_shop(gateway.uow, "shop-wait", handover_mode=HandoverMode.IMMEDIATE) == []
    new = uc.submit_claim(gateway.uow, "shop-wait", waiting_content("NEW"), now=NOW).claim
    assert new.state is S.RECEIVED
    assert claim(gateway, "OLD").state is S.WAITING_FOR_DEFAULT
    # The days stay when only the mode changes back, and can be changed on their own.
    update_shop(gateway.uow, "shop-wait", handover_mode=HandoverMode.WHEN_IN_DEFAULT,
                handover_days_after_reminder=0)
    with gateway.read_uow() as uow:
        assert uow.shops.get("shop-wait").handover == HandoverPolicy(
            HandoverMode.WHEN_IN_DEFAULT, days_after_due=10, days_after_reminder=0)
    with pytest.raises(DomainError, match="whole number of days"):
        update_shop(gateway.uow, "shop-wait", handover_days_after_due=400)


def test_downgrade_puts_waiting_claims_back_to_received(empty_engine):
    """Migration 0006 down: the older gateway knows no waiting state; the row keeps its day."""
    from functools import partial

    from alembic import command

    from gateway.store import schema
    from gateway.store.unit_of_work import SqlUnitOfWork

    schema.upgrade(empty_engine)
    uow = partial(SqlUnitOfWork, empty_engine)
    add_shop(uow, "shop-wait", password="correct horse battery", handover=WAIT)
    uc.submit_claim(uow, "shop-wait", waiting_content(), now=NOW)
    command.downgrade(schema.alembic_config(empty_engine), "0005")
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT state FROM claims")).scalar_one() == "RECEIVED"
        assert conn.execute(text("SELECT kind FROM outbox")).scalar_one() == \
            MessageKind.SUBMIT_CLAIM.value
    schema.upgrade(empty_engine)
    with uow() as u:
        assert u.shops.get("shop-wait").handover == HandoverPolicy()  # the default again


from tests.integration.test_migrations import empty_engine  # noqa: E402,F401 - the fixture


def test_the_cli_sets_the_policy_in_the_shops_style(db_url, gateway):
    from tests.integration.test_cli import run

    added = run("shops", "add", "shop-x", "--password", "correct horse battery",
                "--handover-policy", "when-in-default", "--handover-days-after-due", "7",
                db_url=db_url)
    assert added.returncode == 0, added.stderr
    assert "hand-over when in default, 7 days after due, 5 days after the last reminder" \
        in added.stdout
    changed = run("shops", "set", "shop-x", "--handover-days-after-reminder", "0", db_url=db_url)
    assert changed.stdout.strip() == ("shop shop-x: changed handover_policy (when in default, "
                                      "7 days after due, 0 days after the last reminder)")
    with gateway.read_uow() as uow:
        assert uow.shops.get("shop-x").handover == HandoverPolicy(
            HandoverMode.WHEN_IN_DEFAULT, days_after_due=7, days_after_reminder=0)
    back = run("shops", "set", "shop-x", "--handover-policy", "immediate", db_url=db_url)
    assert back.stdout.strip() == "shop shop-x: changed handover_policy (immediate)"
    listed = run("shops", "list", db_url=db_url).stdout.splitlines()
    assert listed[0].endswith("HAND-OVER") and listed[1].endswith(" immediate")
    wrong = run("shops", "set", "shop-x", "--handover-days-after-due", "-1", db_url=db_url)
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr
    assert "--handover-days-after-due" in wrong.stderr
