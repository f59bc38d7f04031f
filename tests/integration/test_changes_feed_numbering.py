"""The changes feed numbers events after they commit: writers of one shop never wait for
each other, and a reader resuming with its cursor never misses or repeats a change."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from gateway.domain.model import Claim, MessageKind, OutboxMessage
from gateway.service import claims as uc
from gateway.service.shops import add_shop
from gateway.store import tables
from tests.factories import NOW, content


@pytest.fixture
def shop(gateway):
    return add_shop(gateway.uow, "shop-a", password="correct horse battery", seat="BY").shop


def read_all(gateway, after: int = 0, limit: int = 7) -> list:
    changes = []
    while True:
        page = uc.list_changes(gateway.uow, "shop-a", after, limit)
        if not page:
            return changes
        changes += page
        after = page[-1].seq


def test_a_reader_polling_during_concurrent_writes_sees_each_change_once_in_order(gateway, shop):
    writers, per_writer = 4, 15
    seen: list = []
    done = threading.Event()

    def poll() -> None:
        after = 0
        while True:
            finished = done.is_set()  # read once more after the writers stopped
            page = uc.list_changes(gateway.uow, "shop-a", after, 5)
            seen.extend(page)
            after = page[-1].seq if page else after
            if finished and not page:
                return

    def write(w: int) -> None:
        for i in range(per_writer):
            uc.submit_claim(gateway.uow, "shop-a", content(f"W{w}-{i}"), now=NOW)
            if i % 5 == 4:
                uc.cancel_claim(gateway.uow, "shop-a", f"W{w}-{i}", "settled", now=NOW)

    reader = threading.Thread(target=poll)
    reader.start()
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, range(writers)))
    done.set()
    reader.join(60)

    total = writers * per_writer + writers * (per_writer // 5)
    assert [c.seq for c in seen] == list(range(1, total + 1))
    # Each claim's own changes come in the order they happened.
    for w in range(writers):
        cancelled = [c.event.what for c in seen if c.shop_claim_id == f"W{w}-4"]
        assert cancelled == ["received", "cancel_requested"]
    assert read_all(gateway) == seen  # a fresh reader gets the same feed


def test_numbers_are_per_shop_and_given_once(gateway, shop):
    add_shop(gateway.uow, "shop-b", password="another long password")
    for i in range(3):
        uc.submit_claim(gateway.uow, "shop-a", content(f"A-{i}"), now=NOW)
        uc.submit_claim(gateway.uow, "shop-b", content(f"B-{i}"), now=NOW)
    first = read_all(gateway)
    assert [c.seq for c in first] == [1, 2, 3]
    assert [c.seq for c in uc.list_changes(gateway.uow, "shop-b", 0, 10)] == [1, 2, 3]
    uc.submit_claim(gateway.uow, "shop-a", content("A-3"), now=NOW)
    assert [(c.seq, c.shop_claim_id) for c in read_all(gateway, after=3)] == [(4, "A-3")]
    with gateway.engine.connect() as conn:
        numbers = conn.execute(select(tables.claim_events.c.shop_seq)
                               .where(tables.claim_events.c.shop_id == "shop-a")
                               .order_by(tables.claim_events.c.id)).scalars().all()
    assert numbers == [1, 2, 3, 4]


class HeldCommit:
    """A unit of work factory whose commit writes everything, then waits to be let go:
    a real write of the gateway, caught between its last statement and its COMMIT."""

    def __init__(self, gateway):
        self.gateway, self.written, self.release = gateway, threading.Event(), threading.Event()

    @contextmanager
    def __call__(self):
        with self.gateway.uow() as uow:
            tx, held = uow._tx, self

            class Held:
                def commit(self):
                    held.written.set()
                    held.release.wait(30)
                    tx.commit()

                def __getattr__(self, name):
                    return getattr(tx, name)

            uow._tx = Held()
            yield uow


def test_an_uncommitted_write_blocks_neither_writers_nor_readers_and_is_not_skipped(
        gateway, shop, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite admits one writer at a time by design")
    uc.submit_claim(gateway.uow, "shop-a", content("EARLY"), now=NOW)
    held = HeldCommit(gateway)
    with ThreadPoolExecutor(2) as pool:
        # A cancel of shop-a, written but not committed (its event is older than what follows) ...
        cancel = pool.submit(uc.cancel_claim, held, "shop-a", "EARLY", "paid", now=NOW)
        assert held.written.wait(10)
        try:
            # ... holds up neither another write of the same shop nor a feed read.
            pool.submit(uc.submit_claim, gateway.uow, "shop-a", content("LATE"),
                        now=NOW).result(timeout=10)
            page = pool.submit(uc.list_changes, gateway.uow, "shop-a", 0, 10).result(timeout=10)
        finally:
            held.release.set()
        cancel.result(timeout=10)
    assert [(c.seq, c.shop_claim_id, c.event.what) for c in page] == [
        (1, "EARLY", "received"), (2, "LATE", "received")]
    # Once committed, it comes next; nothing before the cursor moved.
    after = uc.list_changes(gateway.uow, "shop-a", 2, 10)
    assert [(c.seq, c.shop_claim_id, c.event.what) for c in after] == [
        (3, "EARLY", "cancel_requested")]
    assert [c.seq for c in read_all(gateway)] == [1, 2, 3]


def test_a_failed_write_leaves_no_gap(gateway, shop):
    uc.submit_claim(gateway.uow, "shop-a", content("ONE"), now=NOW)
    broken = Claim.receive("shop-a", content("BROKEN"), "mediafinanz", NOW)
    # A payload the database cannot store fails after the claim and its event went in.
    broken.pending_messages.append(OutboxMessage(MessageKind.CANCEL_CLAIM, {"bad": object()}))
    with pytest.raises(Exception):
        with gateway.uow() as uow:
            uow.claims.add(broken)
            uow.commit()
    uc.submit_claim(gateway.uow, "shop-a", content("TWO"), now=NOW)
    assert [(c.seq, c.shop_claim_id) for c in read_all(gateway)] == [(1, "ONE"), (2, "TWO")]
