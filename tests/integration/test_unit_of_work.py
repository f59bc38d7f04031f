"""Claim + event + outbox row are written in ONE transaction, on SQLite and PostgreSQL."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from gateway.domain.errors import Conflict, NotFound, ValidationFailed
from gateway.domain.model import Claim, MessageKind, OutboxMessage
from gateway.service import claims as uc
from gateway.service.shops import add_shop
from gateway.store import tables
from tests.factories import NOW, company, content


def counts(gw) -> dict[str, int]:
    with gw.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (tables.claims, tables.debtors, tables.claim_events, tables.outbox)}


@pytest.fixture
def shop(gateway):
    return add_shop(gateway.uow, "shop-a", password="correct horse battery", seat="BY").shop


def test_submit_writes_claim_debtor_event_and_outbox_together(gateway, shop):
    receipt = uc.submit_claim(gateway.uow, "shop-a", content(), now=NOW)
    assert receipt.created and receipt.claim.id is not None
    assert counts(gateway) == {"claims": 1, "debtors": 1, "claim_events": 1, "outbox": 1}
    stored = uc.get_claim(gateway.read_uow, "shop-a", "INV-2026-0001")
    assert stored.content == content()  # every field, umlauts and Decimal, round-trips
    assert stored.content.principal == Decimal("149.90")
    assert isinstance(stored.content.principal, Decimal)


def test_a_failure_in_the_middle_leaves_nothing(gateway, shop):
    claim = Claim.receive("shop-a", content(), "mediafinanz", NOW)
    # An outbox payload the database cannot store fails AFTER the claim, its
    # debtor and its event were inserted in this transaction.
    claim.pending_messages.append(OutboxMessage(MessageKind.CANCEL_CLAIM, {"bad": object()}))
    with pytest.raises(Exception):
        with gateway.uow() as uow:
            uow.claims.add(claim)
            uow.commit()
    assert counts(gateway) == {"claims": 0, "debtors": 0, "claim_events": 0, "outbox": 0}
    with gateway.engine.connect() as conn:
        assert conn.execute(select(tables.shops.c.last_event_seq)).scalar_one() == 0
    # and the next, valid claim is stored normally
    assert uc.submit_claim(gateway.uow, "shop-a", content(), now=NOW).created


def test_resubmission_is_idempotent_and_different_content_conflicts(gateway, shop):
    first = uc.submit_claim(gateway.uow, "shop-a", content(), now=NOW)
    again = uc.submit_claim(gateway.uow, "shop-a", content(), now=NOW)
    assert (again.created, again.claim.id) == (False, first.claim.id)
    assert counts(gateway)["claim_events"] == 1 and counts(gateway)["outbox"] == 1
    with pytest.raises(Conflict):
        uc.submit_claim(gateway.uow, "shop-a", replace(content(), principal=Decimal("150.00")), now=NOW)


def test_validation_errors_name_every_field_and_store_nothing(gateway, shop):
    bad = content(principal=Decimal("-1.005"), debtor=company(company=None, postcode="1234"))
    with pytest.raises(ValidationFailed) as info:
        uc.submit_claim(gateway.uow, "shop-a", bad, now=NOW)
    paths = {e.path for e in info.value.errors}
    assert {"claim.principal", "claim.debtor.company", "claim.debtor.postcode"} <= paths
    assert counts(gateway)["claims"] == 0


def test_shops_see_only_their_own_claims(gateway, shop):
    add_shop(gateway.uow, "shop-b", password="another long password")
    uc.submit_claim(gateway.uow, "shop-a", content(), now=NOW)
    with pytest.raises(NotFound):
        uc.get_claim(gateway.read_uow, "shop-b", "INV-2026-0001")
    with pytest.raises(NotFound):
        uc.cancel_claim(gateway.uow, "shop-b", "INV-2026-0001", "mine?", now=NOW)


def test_changes_feed_is_per_shop_and_gap_free(gateway, shop):
    add_shop(gateway.uow, "shop-b", password="another long password")
    for i in range(3):
        uc.submit_claim(gateway.uow, "shop-a", content(f"A-{i}"), now=NOW)
        uc.submit_claim(gateway.uow, "shop-b", content(f"B-{i}"), now=NOW)
    uc.cancel_claim(gateway.uow, "shop-a", "A-1", "paid at the till", now=NOW)
    feed = uc.list_changes(gateway.uow, "shop-a", 0, 100)
    assert [c.seq for c in feed] == [1, 2, 3, 4]
    assert [c.shop_claim_id for c in feed] == ["A-0", "A-1", "A-2", "A-1"]
    assert [c.seq for c in uc.list_changes(gateway.uow, "shop-a", 2, 1)] == [3]


def test_direct_payment_and_cancel_queue_messages_in_order(gateway, shop):
    uc.submit_claim(gateway.uow, "shop-a", content(), now=NOW)
    uc.report_direct_payment(gateway.uow, "shop-a", "INV-2026-0001", NOW.date(),
                             Decimal("20.00"), now=NOW)
    uc.cancel_claim(gateway.uow, "shop-a", "INV-2026-0001", None, now=NOW)
    with gateway.engine.connect() as conn:
        kinds = conn.execute(select(tables.outbox.c.kind).order_by(tables.outbox.c.id)).scalars().all()
    assert kinds == ["SUBMIT_CLAIM", "REPORT_DIRECT_PAYMENT", "CANCEL_CLAIM"]
    with pytest.raises(ValidationFailed) as info:
        uc.report_direct_payment(gateway.uow, "shop-a", "INV-2026-0001", None, Decimal("0"), now=NOW)
    assert {e.path for e in info.value.errors} == {"amount", "paidOn"}


def test_the_same_claim_submitted_at_once_is_stored_once(gateway, shop):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(6) as pool:
        receipts = list(pool.map(
            lambda _: uc.submit_claim(gateway.uow, "shop-a", content(), now=NOW), range(6)))
    assert sorted(r.created for r in receipts) == [False] * 5 + [True]
    assert len({r.claim.id for r in receipts}) == 1
    assert counts(gateway) == {"claims": 1, "debtors": 1, "claim_events": 1, "outbox": 1}


def test_an_unknown_shop_is_refused_and_nothing_is_stored(gateway, shop):
    with pytest.raises(uc.UnknownShop):
        uc.submit_claim(gateway.uow, "no-such-shop", content(), now=NOW)
    assert counts(gateway)["claims"] == 0


def test_after_a_plain_submit_the_next_unit_of_work_is_atomic_again(gateway, shop):
    # On PostgreSQL a plain submit is one statement on its own (no BEGIN/COMMIT); the
    # pooled connection it used must come back transactional.
    uc.submit_claim(gateway.uow, "shop-a", content("PLAIN"), now=NOW)
    broken = Claim.receive("shop-a", content("BROKEN"), "mediafinanz", NOW)
    broken.pending_messages.append(OutboxMessage(MessageKind.CANCEL_CLAIM, {"bad": object()}))
    for _ in range(3):  # whichever pooled connection it gets
        with pytest.raises(Exception):
            with gateway.uow() as uow:
                uow.claims.add(broken)
                uow.commit()
        broken.id = None
    assert counts(gateway) == {"claims": 1, "debtors": 1, "claim_events": 1, "outbox": 1}
