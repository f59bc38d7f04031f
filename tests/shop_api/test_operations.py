"""Every operation and domain fault through zeep over loopback, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import zeep

from gateway.domain.lifecycle import ClaimState
from tests.factories import wall_today

TODAY = wall_today()  # the facade under test runs on the wall clock


def claim(shop_claim_id: str = "INV-1", **changes) -> dict:
    debtor = {"kind": "PERSON", "salutation": "MS", "firstName": "Jürgen",
              "lastName": "Müller-Lüdenscheidt", "street": "Große Straße", "houseNumber": "12a",
              "postcode": "80331", "city": "München", "country": "DE",
              "email": "j.mueller@example.de", "phone": "+49 89 1234567",
              "dateOfBirth": date(1980, 2, 29), "customerId": "K-1001"}
    debtor.update(changes.pop("debtor", {}))
    data = {"shopClaimId": shop_claim_id, "claimType": "GOODS_SOLD",
            "reason": "2 x Wanderschuhe Größe 44", "principal": Decimal("149.90"),
            "dunningFees": Decimal("5.00"), "currency": "EUR",
            "dateOfOrigin": TODAY - timedelta(days=60), "dueDate": TODAY - timedelta(days=46),
            "dateOfLastReminder": TODAY - timedelta(days=20), "note": "reagiert nicht",
            "counterPerformanceRendered": True, "debtor": debtor}
    data.update(changes)
    return data


def fault_of(call, *args, **kwargs) -> zeep.exceptions.Fault:
    with pytest.raises(zeep.exceptions.Fault) as info:
        call(*args, **kwargs)
    return info.value


def code(fault: zeep.exceptions.Fault) -> str:
    return fault.code.split(":")[-1]


def test_submit_is_idempotent_and_money_stays_decimal(facade):
    client = facade.client()
    first = client.service.SubmitClaim(claim=claim(principal=Decimal("1234567.89")))
    assert first.created is True and first.status == "RECEIVED" and first.claimId > 0
    again = client.service.SubmitClaim(claim=claim(principal=Decimal("1234567.89")))
    assert again.created is False and again.claimId == first.claimId
    conflict = fault_of(client.service.SubmitClaim, claim=claim(principal=Decimal("10.00")))
    assert code(conflict) == "Client.Conflict"

    view = client.service.GetClaim("INV-1")
    assert view.claim.principal == Decimal("1234567.89")
    assert isinstance(view.claim.principal, Decimal)
    assert view.claim.dateOfOrigin == TODAY - timedelta(days=60)
    assert view.claim.debtor.lastName == "Müller-Lüdenscheidt"
    assert view.state == "RECEIVED" and view.accounting.outstanding == Decimal("0.00")
    # The value the service stored is the exact Decimal, not a float round trip.
    from gateway.service.claims import get_claim
    stored = get_claim(facade.gateway.read_uow, "shop-a", "INV-1")
    assert stored.content.principal == Decimal("1234567.89")
    assert isinstance(stored.content.principal, Decimal)


def test_history_payment_and_cancel(facade):
    client = facade.client()
    client.service.SubmitClaim(claim=claim())
    paid = client.service.ReportDirectPayment("INV-1", TODAY, Decimal("20.50"))
    assert paid.status == "RECEIVED" and paid.created is False
    bad_amount = fault_of(client.service.ReportDirectPayment, "INV-1", TODAY, Decimal("0.00"))
    assert code(bad_amount) == "Client.ValidationError" and "amount" in bad_amount.message
    cancelled = client.service.CancelClaim("INV-1", "Kunde hat gezahlt")
    assert cancelled.status == "CANCEL_REQUESTED"
    history = client.service.GetClaimHistory("INV-1")
    assert [e.what for e in history.events.event] == [
        "received", "direct_payment_reported", "cancel_requested"]
    payment = history.events.event[1]
    assert {d.name: d.value for d in payment.details.detail}["amount"] == "20.50"
    assert client.service.CancelClaim("INV-1").status == "CANCEL_REQUESTED"  # twice: no-op


def test_two_shops_cannot_see_each_others_claims(facade):
    a, b = facade.client("shop-a"), facade.client("shop-b")
    a.service.SubmitClaim(claim=claim("SAME-ID"))
    for call, args in ((b.service.GetClaim, ("SAME-ID",)),
                       (b.service.GetClaimHistory, ("SAME-ID",)),
                       (b.service.CancelClaim, ("SAME-ID", None)),
                       (b.service.ReportDirectPayment, ("SAME-ID", TODAY, Decimal("1.00"))),
                       (b.service.CheckCourtDunningOrder, ("SAME-ID",)),
                       (b.service.RequestCourtDunningOrder, ("SAME-ID", "DUNNING_ONLY", "Frau K",
                                                             None))):
        assert code(fault_of(call, *args)) == "Client.NotFound", call
    assert b.service.ListClaimChanges().changes is None
    # The same shopClaimId is free for shop-b, and is its own claim.
    assert b.service.SubmitClaim(claim=claim("SAME-ID", principal=Decimal("7.00"))).created
    assert a.service.GetClaim("SAME-ID").claim.principal == Decimal("149.90")
    assert a.service.CancelClaim("SAME-ID").status == "CANCEL_REQUESTED"
    assert b.service.GetClaim("SAME-ID").state == "RECEIVED"


def test_validation_fault_names_every_field(facade):
    client = facade.client()
    bad = claim(principal=Decimal("0.00"), dateOfOrigin=TODAY + timedelta(days=3),
                currency="USD",
                debtor={"postcode": "123", "email": "nope", "lastName": None})
    fault = fault_of(client.service.SubmitClaim, claim=bad)
    assert code(fault) == "Client.ValidationError"
    expected = {"claim.principal", "claim.dateOfOrigin", "claim.currency",
                "claim.debtor.postcode", "claim.debtor.email", "claim.debtor.lastName",
                # the reminder and due date now lie before the (future) origin
                "claim.dueDate", "claim.dateOfLastReminder"}
    for path in expected:
        assert path in fault.message, path
    paths = [el.findtext("{urn:inkasso-gateway:shop:v1}path")
             for el in fault.detail.iter("{urn:inkasso-gateway:shop:v1}fieldError")]
    assert set(paths) == expected
    # Nothing was stored.
    assert code(fault_of(client.service.GetClaim, "INV-1")) == "Client.NotFound"


def test_schema_errors_name_the_field(facade):
    client = facade.client()
    fault = fault_of(client.service.SubmitClaim, claim=claim(principal=Decimal("1.234")))
    assert code(fault) == "Client.ValidationError" and "claim.principal" in fault.message
    assert "1.234" not in fault.message  # values are not echoed (they may be debtor data)


def test_submit_claims_bad_items_do_not_fail_the_good_ones(facade):
    client = facade.client()
    items = [claim("B-0"), claim("B-1", principal=Decimal("1.999")),  # schema: 3 decimals
             claim("B-2", debtor={"postcode": "12"}), claim("B-3"), claim("B-0")]
    results = client.service.SubmitClaims(claims={"claim": items})
    assert [r.index for r in results] == [0, 1, 2, 3, 4]
    assert results[0].receipt.created and results[3].receipt.created
    assert results[4].receipt.created is False and results[4].receipt.claimId == \
        results[0].receipt.claimId
    assert results[1].receipt is None and results[1].error.code == "Client.ValidationError"
    assert "claims[1].principal" in results[1].error.message
    assert results[2].error.fieldErrors.fieldError[0].path == "claims[2].debtor.postcode"
    assert code(fault_of(client.service.GetClaim, "B-2")) == "Client.NotFound"
    assert client.service.GetClaim("B-3").state == "RECEIVED"


def test_submit_claims_refuses_more_than_500(facade):
    client = facade.client()
    small = {"shopClaimId": "x", "claimType": "SERVICE", "principal": Decimal("1.00"),
             "dateOfOrigin": TODAY, "debtor": {"kind": "COMPANY"}}
    fault = fault_of(client.service.SubmitClaims, claims={"claim": [small] * 501})
    assert code(fault) == "Client.ValidationError" and "500" in fault.message


def test_list_changes_resumes_without_loss_or_repeat(facade):
    client = facade.client()
    for i in range(5):
        client.service.SubmitClaim(claim=claim(f"C-{i}"))
    client.service.CancelClaim("C-1")
    client.service.ReportDirectPayment("C-3", TODAY, Decimal("2.00"))
    seen, cursor = [], None
    for _ in range(10):
        page = client.service.ListClaimChanges(since=cursor, limit=2)
        changes = page.changes.change if page.changes else []
        seen += [(c.sequence, c.shopClaimId, c.event.what) for c in changes]
        if cursor is not None and not changes:
            assert page.nextCursor == cursor  # nothing new: same cursor back
            break
        cursor = page.nextCursor
    assert [s for s, _, _ in seen] == list(range(1, 8))
    assert seen[-2:] == [(6, "C-1", "cancel_requested"), (7, "C-3", "direct_payment_reported")]
    client.service.CancelClaim("C-4")  # a change after the shop caught up arrives once
    later = client.service.ListClaimChanges(since=cursor)
    assert [(c.sequence, c.shopClaimId) for c in later.changes.change] == [(8, "C-4")]
    bad = fault_of(client.service.ListClaimChanges, since="not-a-cursor")
    assert code(bad) == "Client.ValidationError" and "since" in bad.message
    assert code(fault_of(client.service.ListClaimChanges, limit=0)) == "Client.ValidationError"


def _submitted(facade, shop_claim_id: str) -> None:
    """What the dispatcher does when the agency accepts: the claim gets a file number."""
    from gateway.service.claims import utc_now

    with facade.gateway.uow() as uow:
        stored = uow.claims.get("shop-a", shop_claim_id, for_update=True)
        stored.mark_submitted("AZ-4711", utc_now())
        uow.commit()


def test_court_dunning_check_and_request(facade):
    client = facade.client()
    client.service.SubmitClaim(claim=claim())
    check = client.service.CheckCourtDunningOrder("INV-1")
    assert check.allowed is False
    assert "NO_FILE_NUMBER" in [r.code for r in check.reasons.finding]
    assert check.courtFee > 0 and isinstance(check.courtFee, Decimal)
    refused = fault_of(client.service.RequestCourtDunningOrder, "INV-1", "DUNNING_ONLY",
                       "Frau Kaiser", None)
    assert code(refused) == "Client.DunningRefused" and "NO_FILE_NUMBER" in refused.message
    assert "NO_FILE_NUMBER" in [el.text for el in
                                refused.detail.iter("{urn:inkasso-gateway:shop:v1}code")]

    _submitted(facade, "INV-1")
    assert client.service.CheckCourtDunningOrder("INV-1").allowed is True
    done = client.service.RequestCourtDunningOrder("INV-1", "DUNNING_THEN_LAWSUIT",
                                                   "Frau Kaiser", "nach Rücksprache")
    assert done.status == ClaimState.COURT_DUNNING_REQUESTED.value
    assert done.agencyFileNumber == "AZ-4711"
    again = fault_of(client.service.RequestCourtDunningOrder, "INV-1", "DUNNING_ONLY",
                     "Frau Kaiser", None)
    assert code(again) == "Client.Conflict"
    assert code(fault_of(client.service.RequestCourtDunningOrder, "INV-1", "DUNNING_ONLY",
                         " ", None)) == "Client.ValidationError"
    view = client.service.GetClaim("INV-1")
    assert view.state == "COURT_DUNNING_REQUESTED" and view.agencyFileNumber == "AZ-4711"


def test_get_claim_shows_deadlines_when_the_court_acted(facade):
    from gateway.domain.model import CourtDates

    client = facade.client()
    client.service.SubmitClaim(claim=claim())
    served = TODAY - timedelta(days=3)
    with facade.gateway.uow() as uow:
        stored = uow.claims.get("shop-a", "INV-1", for_update=True)
        stored.update_court_dates(CourtDates(dunning_order_served_on=served))
        uow.commit()
    deadlines = client.service.GetClaim("INV-1").deadlines
    assert deadlines.dunningOrderServedOn == served
    # Served + 14 days, moved off a weekend or holiday at the court's seat (AG Coburg, BY;
    # § 222 (2) ZPO); the earliest enforcement order day follows it (§ 699 (1) 2 ZPO).
    from tests.court_dunning.test_end_to_end import _next_bavarian_working_day

    by_calendar = served + timedelta(days=14)
    assert deadlines.objectionPeriodEndsOn == _next_bavarian_working_day(by_calendar)
    assert (deadlines.objectionPeriodEndMoved is not None) == (
        deadlines.objectionPeriodEndsOn != by_calendar)
    assert deadlines.enforcementOrderEarliestOn == deadlines.objectionPeriodEndsOn + timedelta(1)
    assert deadlines.courtSeatState == "BY"
