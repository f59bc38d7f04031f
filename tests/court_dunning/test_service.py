"""The court dunning use cases on a real database (SQLite and PostgreSQL): check and request."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from gateway.domain.court_dunning import Code, preflight
from gateway.domain.errors import Conflict, NotFound, ValidationFailed
from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import ActorKind, ClaimType, CourtDunningInstruction
from gateway.service import claims as claim_service
from gateway.service import court_dunning as uc
from gateway.service.agency_port import AgencyStatus
from gateway.store.unit_of_work import SqlUnitOfWork
from mappings.mediafinanz.codes import to_status
from tests.factories import NOW, content, person

from .helpers import add_shop, audit_rows, counts, outbox_rows, submitted_claim

ONLY = CourtDunningInstruction.DUNNING_ONLY
LAWSUIT = CourtDunningInstruction.DUNNING_THEN_LAWSUIT


@pytest.fixture
def shop(gateway):
    return add_shop(gateway)


def request(gw, shop_claim_id="INV-2026-0001", shop_id="shop-a", instruction=ONLY,
            by="Anna Schmidt", note=None, now=NOW):
    return uc.request_court_dunning(gw.uow, shop_id, shop_claim_id, instruction, by, note, now=now)


# -- check ------------------------------------------------------------------------------
def test_check_uses_the_shops_seat_and_catalogue_overrides(gateway):
    add_shop(gateway, "shop-k", seat="NW-KOELN", catalogue_overrides={"GOODS_SOLD": 43})
    submitted_claim(gateway, "shop-k", principal=Decimal("1500.00"))
    result = uc.check_court_dunning(gateway.read_uow, "shop-k", "INV-2026-0001",
                                    today=date(2026, 11, 20))
    assert result.allowed
    assert (result.court, result.court_fee, result.catalogue_number) == (
        "AG Euskirchen", Decimal("41.00"), 43)
    assert result.limitation_ends_on == date(2029, 12, 31)


def test_check_a_claim_without_file_number_lists_the_reason(gateway, shop):
    claim_service.submit_claim(gateway.uow, "shop-a", content(), now=NOW)
    result = uc.check_court_dunning(gateway.read_uow, "shop-a", "INV-2026-0001",
                                    today=date(2026, 11, 20))
    assert result.reason_codes == (Code.NO_FILE_NUMBER,)


def test_check_is_limited_to_the_shops_own_claims(gateway, shop):
    add_shop(gateway, "shop-b", seat="HH")
    submitted_claim(gateway, "shop-a")
    with pytest.raises(NotFound):
        uc.check_court_dunning(gateway.read_uow, "shop-b", "INV-2026-0001")
    with pytest.raises(NotFound):
        uc.check_court_dunning(gateway.read_uow, "shop-a", "NO-SUCH-CLAIM")


# -- request: allowed -------------------------------------------------------------------
def test_allowed_request_writes_state_event_outbox_and_audit_together(gateway, shop):
    submitted_claim(gateway)
    before = counts(gateway)
    claim, result = request(gateway, instruction=LAWSUIT, note="  Kunde reagiert nicht  ")
    assert result.allowed and claim.state is ClaimState.COURT_DUNNING_REQUESTED
    assert counts(gateway) == {**before, "claim_events": before["claim_events"] + 1,
                               "outbox": before["outbox"] + 1, "court_dunning_requests": 1}

    stored, events = claim_service.get_history(gateway.read_uow, "shop-a", "INV-2026-0001")
    assert stored.state is ClaimState.COURT_DUNNING_REQUESTED
    event = events[-1]
    assert (event.what, event.actor.kind, event.actor.id) == (
        "court_dunning_requested", ActorKind.STAFF, "Anna Schmidt")
    # The application lists principal, interest and ancillary claims apart (§ 690 (1) Nr. 3
    # ZPO): a consumer reminded on 2026-10-20, after the due date 2026-09-15, is in default
    # from 2026-10-21 (§ 286 (1) BGB); 31 days at 1.27 + 5 = 6.27 % on 149.90 (§ 288 (1)) is
    # 0.80; no flat fee against a consumer (§ 288 (5)).
    amounts = {"asOf": "2026-11-20", "principal": "149.90", "dunningFees": "5.00",
               "flatFee": "0.00",
               "interest": {"start": "2026-10-21", "end": "2026-11-20", "pointsOverBaseRate": "5",
                            "rate": "6.27", "amount": "0.80"}}
    assert event.details == {"instruction": "DUNNING_THEN_LAWSUIT", "court": "AG Coburg",
                             "catalogueNumber": 11, "courtFee": "38.00", "amounts": amounts}

    hand_over = outbox_rows(gateway)[-1]
    assert (hand_over.kind, hand_over.payload, hand_over.state) == (
        "HAND_OVER_TO_LAWYER", {"instruction": "DUNNING_THEN_LAWSUIT", "amounts": amounts},
        "pending")

    [audit] = audit_rows(gateway)
    assert (audit.claim_id, audit.requested_by, audit.instruction, audit.note) == (
        stored.id, "Anna Schmidt", "DUNNING_THEN_LAWSUIT", "Kunde reagiert nicht")
    assert audit.requested_at == NOW
    assert audit.preflight == {
        "allowed": True, "reasons": [], "warnings": [], "limitationEndsOn": "2029-12-31",
        "lastFilingDay": {"day": "2029-12-31"},  # a Monday: nothing to move
        "claimAroseOn": "2026-09-15", "claimAroseFrom": "dueDate",
        "court": "AG Coburg", "courtSeatState": "BY", "courtFee": "38.00", "catalogueNumber": 11,
        "catalogueLabel": "Kaufvertrag", "checkedOn": "2026-11-20",
        "defaultClaims": {
            "flatFee": "0.00",
            "defaultBegins": {"on": "2026-10-21", "rule": "§ 286 (1) BGB",
                              "reason": "reminder of 2026-10-20, after the due date 2026-09-15"},
            "interest": {"start": "2026-10-21", "end": "2026-11-20", "rule": "§ 288 (1) BGB",
                         "pointsOverBaseRate": "5", "total": "0.80",
                         "periods": [{"start": "2026-10-21", "end": "2026-11-20", "days": 31,
                                      "baseRate": "1.27", "baseRateStatus": "ASSUMED",
                                      "rate": "6.27", "amount": "0.80"}]}}}


def test_audit_row_keeps_the_preflight_as_it_was_on_the_day(gateway, shop):
    # Requested in May 2025: the fee minimum was 36.00 then (38.00 from 2025-06-01), and the
    # claim of 2022 was 7 months from limitation; a check today sees neither any more.
    may_2025 = datetime(2025, 5, 15, 9, 0, tzinfo=timezone.utc)
    submitted_claim(gateway, now=may_2025, date_of_origin=date(2022, 3, 1),
                    due_date=date(2022, 3, 15), date_of_last_reminder=date(2022, 4, 1))
    request(gateway, now=may_2025)
    [audit] = audit_rows(gateway)
    assert audit.preflight["courtFee"] == "36.00"
    assert audit.preflight["limitationEndsOn"] == "2025-12-31"
    assert audit.preflight["checkedOn"] == "2025-05-15"
    assert isinstance(audit.preflight["courtFee"], str)  # Decimal kept exact, never a float

    today = uc.check_court_dunning(gateway.read_uow, "shop-a", "INV-2026-0001",
                                   today=date(2026, 11, 20))
    assert today.court_fee == Decimal("38.00")
    assert Code.TIME_BARRED in today.reason_codes


def test_limitation_warning_is_part_of_the_audited_preflight(gateway, shop):
    submitted_claim(gateway, date_of_origin=date(2023, 6, 1), due_date=date(2023, 6, 15),
                    date_of_last_reminder=date(2023, 7, 1))
    _, result = request(gateway)
    assert [w.code for w in result.warnings] == [Code.LIMITATION_SOON]
    [audit] = audit_rows(gateway)
    assert [w["code"] for w in audit.preflight["warnings"]] == ["LIMITATION_SOON"]
    assert "2026-12-31" in audit.preflight["warnings"][0]["message"]


def test_service_claim_goes_with_catalogue_number_5(gateway, shop):
    submitted_claim(gateway, claim_type=ClaimType.SERVICE)
    _, result = request(gateway)
    assert (result.catalogue_number, result.catalogue_label) == (5, "Dienstleistungsvertrag")


# -- request: refused, conflict, not found -----------------------------------------------
def test_refusal_lists_every_reason_and_writes_nothing(gateway, shop):
    claim_service.submit_claim(gateway.uow, "shop-a", content(), now=NOW)  # no AZ yet
    # A debtor abroad whose goods were never delivered: two reasons at once.
    submitted_claim(gateway, shop_claim_id="INV-2", debtor=person(country="AT", postcode="1010"),
                    counter_performance_rendered=False)
    before = counts(gateway)

    with pytest.raises(uc.DunningRefused) as refused:
        request(gateway, "INV-2")
    assert refused.value.preflight.reason_codes == (Code.COUNTER_PERFORMANCE_MISSING,
                                                    Code.DEBTOR_ABROAD)
    message = str(refused.value)
    assert "COUNTER_PERFORMANCE_MISSING" in message and "DEBTOR_ABROAD" in message
    assert "manual route" in message

    with pytest.raises(uc.DunningRefused) as no_file_number:
        request(gateway, "INV-2026-0001")
    assert no_file_number.value.preflight.reason_codes == (Code.NO_FILE_NUMBER,)
    assert counts(gateway) == before
    assert claim_service.get_claim(gateway.read_uow, "shop-a", "INV-2").state is ClaimState.SUBMITTED


def test_time_barred_by_the_german_calendar_day_not_the_utc_one(gateway, shop):
    submitted_claim(gateway, date_of_origin=date(2023, 6, 1), due_date=date(2023, 6, 15),
                    date_of_last_reminder=date(2023, 7, 1))
    # 23:30 UTC on 31 December is 00:30 on 1 January in Germany: limitation has run out.
    new_year = datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)
    assert uc.court_date(new_year) == date(2027, 1, 1)
    with pytest.raises(uc.DunningRefused) as refused:
        request(gateway, now=new_year)
    assert refused.value.preflight.reason_codes == (Code.TIME_BARRED,)


def test_second_request_is_a_conflict_and_writes_nothing(gateway, shop):
    submitted_claim(gateway)
    request(gateway)
    before = counts(gateway)
    with pytest.raises(Conflict, match="pending"):
        request(gateway, instruction=LAWSUIT)
    assert counts(gateway) == before


def test_request_during_a_later_court_stage_is_a_conflict(gateway, shop):
    submitted_claim(gateway)
    # the agency's lawyer was instructed outside the gateway
    apply(gateway, 11304, ClaimState.DUNNING_ORDER_SERVED, "Zustellung am 2026-11-02")
    with pytest.raises(Conflict, match="DUNNING_ORDER_SERVED"):
        request(gateway)
    assert audit_rows(gateway) == []


def test_closed_claim_is_refused_not_a_conflict(gateway, shop):
    submitted_claim(gateway)
    claim_service.cancel_claim(gateway.uow, "shop-a", "INV-2026-0001", None, now=NOW)
    with pytest.raises(uc.DunningRefused) as refused:
        request(gateway)
    assert refused.value.preflight.reason_codes == (Code.CANCEL_REQUESTED,)


def test_another_shops_claim_is_not_found(gateway, shop):
    add_shop(gateway, "shop-b", seat="HH")
    submitted_claim(gateway, "shop-a")
    submitted_claim(gateway, "shop-b", shop_claim_id="B-1", file_number="22222222222")
    with pytest.raises(NotFound):
        request(gateway, shop_id="shop-b")  # shop-a's claim id
    with pytest.raises(NotFound):
        request(gateway, "B-1", shop_id="shop-a")
    _, result = request(gateway, "B-1", shop_id="shop-b")
    assert result.court == "AG Hamburg-Altona"  # shop-b's own seat
    assert claim_service.get_claim(gateway.read_uow, "shop-a", "INV-2026-0001").state \
        is ClaimState.SUBMITTED


@pytest.mark.parametrize("by,instruction,paths", [
    ("", ONLY, ["requestedBy"]),
    ("   ", ONLY, ["requestedBy"]),
    ("x" * 129, ONLY, ["requestedBy"]),
    (None, ONLY, ["requestedBy"]),
    ("Anna", "DUNNING_ONLY", ["instruction"]),  # the enum, not its name
    ("", None, ["instruction", "requestedBy"]),
])
def test_request_input_is_validated_before_anything_is_read(gateway, shop, by, instruction, paths):
    submitted_claim(gateway)
    with pytest.raises(ValidationFailed) as failed:
        request(gateway, by=by, instruction=instruction)
    assert [e.path for e in failed.value.errors] == paths
    assert audit_rows(gateway) == []


def test_requested_by_of_128_characters_is_kept_whole(gateway, shop):
    submitted_claim(gateway)
    request(gateway, by="ä" * 128)
    assert audit_rows(gateway)[0].requested_by == "ä" * 128


# -- one transaction --------------------------------------------------------------------
class _CrashBeforeCommit(SqlUnitOfWork):
    """Writes everything into the open transaction, then fails before COMMIT (a crash)."""

    def commit(self) -> None:
        self._flush()
        raise RuntimeError("process died before COMMIT")


def test_a_crash_before_commit_leaves_neither_state_nor_outbox_nor_audit(gateway, shop):
    submitted_claim(gateway)
    before = counts(gateway)
    with pytest.raises(RuntimeError, match="before COMMIT"):
        uc.request_court_dunning(lambda: _CrashBeforeCommit(gateway.engine), "shop-a",
                                 "INV-2026-0001", ONLY, "Anna Schmidt", None, now=NOW)
    assert counts(gateway) == before
    assert claim_service.get_claim(gateway.read_uow, "shop-a", "INV-2026-0001").state \
        is ClaimState.SUBMITTED
    _, result = request(gateway)  # and the request then goes through normally
    assert result.allowed and len(audit_rows(gateway)) == 1


# -- deadlines ---------------------------------------------------------------------------
def test_court_deadlines_for_a_served_claim(gateway, shop):
    submitted_claim(gateway)
    request(gateway)
    apply(gateway, 11303, ClaimState.DUNNING_ORDER_ISSUED, "Mahnbescheid erlassen am 2026-08-20")
    apply(gateway, 11304, ClaimState.DUNNING_ORDER_SERVED, "Zustellung am 2026-08-31")
    stored = claim_service.get_claim(gateway.read_uow, "shop-a", "INV-2026-0001")
    deadlines = uc.court_deadlines_for(stored)
    assert deadlines.objection_period_ends_on == date(2026, 9, 14)
    assert deadlines.enforcement_order_deadline == date(2027, 2, 28)  # 31 Aug + 6 months
    assert deadlines.limitation_suspension_ends_on is None


def test_a_new_request_after_a_procedure_went_back_to_collection_starts_fresh_dates(
        gateway, shop):
    submitted_claim(gateway)
    request(gateway)
    statuses = [(11303, ClaimState.DUNNING_ORDER_ISSUED, "Mahnbescheid erlassen am 2026-08-20"),
                (11314, ClaimState.IN_COLLECTION, None),
                (11303, ClaimState.DUNNING_ORDER_ISSUED, "Mahnbescheid erlassen am 2026-12-01")]
    for code, state, details in statuses[:2]:
        apply(gateway, code, state, details)
    _, result = request(gateway, now=datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc))
    assert result.allowed
    _, events = claim_service.get_history(gateway.read_uow, "shop-a", "INV-2026-0001")
    assert events[-1].details["previousCourtDates"] == {"dunning_order_issued_on": "2026-08-20"}
    apply(gateway, *statuses[2])
    stored = claim_service.get_claim(gateway.read_uow, "shop-a", "INV-2026-0001")
    assert stored.court.dunning_order_issued_on == date(2026, 12, 1)


def apply(gateway, code, state, details):
    """Apply one agency status to the test claim, as the status sync does."""
    with gateway.uow() as uow:
        claim = uow.claims.get("shop-a", "INV-2026-0001", for_update=True)
        claim_service.apply_agency_status(
            claim, AgencyStatus("12345678901", code, None, state, details=details), NOW)
        uow.commit()


def test_a_stalled_procedure_starts_the_limitation_suspension_deadline(gateway, shop):
    submitted_claim(gateway)
    request(gateway)
    # The agency's mapping says which court date a code carries (11313: the stall).
    with gateway.uow() as uow:
        claim = uow.claims.get("shop-a", "INV-2026-0001", for_update=True)
        claim_service.apply_agency_status(
            claim, to_status("12345678901", 11313, None, "Verfahren ruht seit 2026-10-01"), NOW)
        uow.commit()
    stored = claim_service.get_claim(gateway.read_uow, "shop-a", "INV-2026-0001")
    assert stored.state is ClaimState.NEEDS_REVIEW
    assert stored.court.procedure_stalled_on == date(2026, 10, 1)
    assert uc.court_deadlines_for(stored).limitation_suspension_ends_on == date(2027, 4, 1)
    # The procedure moving on (objection -> lawsuit) ends the stall.
    with gateway.uow() as uow:
        claim = uow.claims.get("shop-a", "INV-2026-0001", for_update=True)
        claim_service.apply_agency_status(claim, to_status("12345678901", 11310, None), NOW)
        uow.commit()
    stored = claim_service.get_claim(gateway.read_uow, "shop-a", "INV-2026-0001")
    assert stored.court.procedure_stalled_on is None


def test_preflight_json_matches_the_domain_result(gateway, shop):
    claim = submitted_claim(gateway)
    result = preflight(claim, date(2026, 11, 20), "BY")
    data = uc.preflight_as_json(result)
    assert "checkedOn" not in data
    assert data["courtFee"] == "38.00" and data["allowed"] is True
