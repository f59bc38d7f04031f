"""The real zeep adapter against the real simulator on a loopback port, through every operation."""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests

from gateway.agencies.mediafinanz import MediafinanzAgency
from gateway.agencies.simulator import emitted_codes, start_simulator
from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import Claim, CourtDunningInstruction
from gateway.service.agency_port import (AgencyAmbiguous, AgencyAuthFailed, AgencyCredentials,
                                         AgencyRejected, AgencyTransient)
from gateway.service.claims import apply_agency_status
from gateway.service.court_dunning import court_dunning_amounts_of
from mappings.mediafinanz import status_table

from .conftest import CLIENT_ID, SIM_START, person_claim


def claim(shop_claim_id: str = "ORDER-1001", **changes) -> Claim:
    return Claim(shop_id="shop-1", content=person_claim(shop_claim_id, **changes))


def test_every_operation(fresh_sim, agency, creds):
    agency.check_credentials(creds)
    number = agency.submit_claim(creds, claim())
    assert len(number) == 11 and number.isdigit()

    status = agency.get_status(creds, number)
    assert (status.code, status.state) == (10201, ClaimState.SUBMITTED)

    batch = agency.get_status_changes(creds)
    assert batch.transaction_id and [c.code for c in batch.changes] == [10201]
    agency.commit_changes(creds, batch.transaction_id)
    assert agency.get_status_changes(creds).changes == ()

    summary = agency.get_accounting(creds, number)
    assert (summary.total_debts, summary.outstanding) == (Decimal("124.90"), Decimal("124.90"))

    options = agency.get_options(creds, number)
    assert options.close and options.lawyer

    agency.book_direct_payment(creds, number, date(2024, 5, 2), Decimal("24.90"))
    assert agency.get_accounting(creds, number).outstanding == Decimal("100.00")
    assert agency.get_status(creds, number).code == 10218

    # The amounts the court dunning application lists apart travel with the hand-over.
    amounts = court_dunning_amounts_of(claim(), SIM_START.date())
    assert amounts.interest is not None  # reminded 2024-04-02: in default since 2024-04-03
    with pytest.raises(AgencyRejected):  # the agency checks the principal against its file
        agency.hand_over_to_lawyer(creds, number, CourtDunningInstruction.DUNNING_ONLY,
                                   replace(amounts, principal=Decimal("1.00")))
    agency.hand_over_to_lawyer(creds, number, CourtDunningInstruction.DUNNING_ONLY, amounts)
    assert agency.get_status(creds, number).state is ClaimState.COURT_DUNNING_REQUESTED
    assert fresh_sim.simulator.court_amounts(number) == amounts
    fresh_sim.advance(days=400)
    history = agency.get_history(creds, number)
    assert [e.subject for e in history][:2] == ["Forderung eingegangen", "Direktzahlung verbucht, Restforderung offen"]
    assert all(a.at <= b.at for a, b in zip(history, history[1:]))
    # What the sync does with the feed: the court dates come with the changes.
    tracked = Claim(shop_id="shop-1", content=person_claim(), state=ClaimState.SUBMITTED,
                    agency_account="mediafinanz")
    for change in agency.get_status_changes(creds).changes:
        apply_agency_status(tracked, change, change.at)
    court = tracked.court
    assert court.dunning_order_issued_on is not None
    assert court.dunning_order_served_on >= court.dunning_order_issued_on

    second = agency.submit_claim(creds, claim("ORDER-1002"))
    agency.close_claim(creds, second)
    assert agency.get_status(creds, second).state is ClaimState.CANCELLED
    with pytest.raises(AgencyRejected):
        agency.close_claim(creds, second)  # already closed
    assert isinstance(agency.payouts(creds), tuple)

    calls = fresh_sim.stats()["calls"]
    assert set(calls) == {"newClaim", "getClaimStatus", "getClaimStatusChanges",
                          "commitTransaction", "getClaimHistory", "getClaimAccountingSummary",
                          "getClaimOptions", "closeClaim", "bookDirectPayment", "instructLawyer",
                          "getPayoutList"}


def test_reset_puts_the_clock_back_to_its_start(fresh_sim, agency, creds):
    """What one test advanced must not age the next one's claims (they would be time-barred)."""
    assert fresh_sim.stats()["now"] == SIM_START.isoformat()
    fresh_sim.advance(days=3 * 365)
    assert fresh_sim.stats()["now"].startswith("2027-")
    fresh_sim.reset()
    assert fresh_sim.stats()["now"] == SIM_START.isoformat()
    fresh_sim.advance(days=1)
    assert requests.post(fresh_sim.base_url + "/_sim/reset", timeout=5).json() == {"ok": True}
    assert requests.get(fresh_sim.base_url + "/_sim/stats", timeout=5).json()["now"] == \
        SIM_START.isoformat()
    assert agency.submit_claim(creds, claim("ORDER-AFTER-RESET"))  # 2024 is in time again


def test_a_simulator_on_the_real_clock_resets_to_the_real_now():
    from gateway.agencies.simulator.core import SimClock

    clock = SimClock(speed=0)
    clock.advance(days=400)
    clock.reset()
    assert abs(clock.now() - datetime.now(timezone.utc)) < timedelta(seconds=5)
    with pytest.raises(ValueError):
        SimClock(speed=0, start=datetime(2024, 1, 1))  # naive: whose midnight?


def test_same_invoice_twice_gives_the_same_file_number(fresh_sim, agency, creds):
    first = agency.submit_claim(creds, claim("ORDER-DUP"))
    again = agency.submit_claim(creds, claim("ORDER-DUP"))
    assert first == again
    stats = fresh_sim.stats()
    assert (stats["claims"], stats["duplicates"]) == (1, 1)
    assert fresh_sim.claims() == {"ORDER-DUP": first}
    assert requests.get(fresh_sim.base_url + "/_sim/claims", timeout=5).json() == {"ORDER-DUP": first}
    assert requests.get(fresh_sim.base_url + "/_sim/stats", timeout=5).json()["duplicates"] == 1


def test_an_uncommitted_batch_is_delivered_again(fresh_sim, agency, creds):
    for i in range(3):
        agency.submit_claim(creds, claim(f"ORDER-B{i}"))
    first = agency.get_status_changes(creds)
    again = agency.get_status_changes(creds)  # not committed: the same batch
    assert again == first and len(first.changes) == 3
    agency.commit_changes(creds, first.transaction_id)
    agency.commit_changes(creds, first.transaction_id)  # a repeated commit is harmless
    assert agency.get_status_changes(creds).transaction_id is None
    with pytest.raises(AgencyRejected):
        agency.commit_changes(creds, "T-unknown")


def test_batches_have_a_maximum_size():
    with start_simulator(batch_size=2, start=SIM_START) as sim:
        agency = MediafinanzAgency(sim.url, sim.application_key, timeout_s=2.0)
        creds = AgencyCredentials(str(CLIENT_ID), sim.clients[CLIENT_ID])
        for i in range(5):
            agency.submit_claim(creds, claim(f"ORDER-S{i}"))
        sizes = []
        while (batch := agency.get_status_changes(creds)).transaction_id:
            sizes.append(len(batch.changes))
            agency.commit_changes(creds, batch.transaction_id)
        assert sizes == [2, 2, 1]


def test_agency_validation_answers_error_list(fresh_sim, agency, creds):
    content = person_claim("ORDER-BAD", principal=Decimal("0.00"), date_of_origin=date(2999, 1, 1))
    bad = Claim(shop_id="s", content=replace(content, debtor=replace(
        content.debtor, last_name=None, postcode="1234")))
    with pytest.raises(AgencyRejected) as caught:
        agency.submit_claim(creds, bad)
    reasons = " | ".join(caught.value.reasons)
    for expected in ("Nachname", "Postleitzahl", "Hauptforderung", "Zukunft"):
        assert expected in reasons
    abroad = Claim(shop_id="s", content=replace(content, principal=Decimal("1.00"),
                                                date_of_origin=date(2024, 1, 1),
                                                debtor=replace(content.debtor, country="XX")))
    with pytest.raises(AgencyRejected) as caught:
        agency.submit_claim(creds, abroad)
    assert caught.value.reasons == ("Unbekanntes Land: XX",)
    assert fresh_sim.stats()["claims"] == 0


@pytest.mark.parametrize("changes,reason", [
    ({"date_of_origin": date(SIM_START.year - 4, 6, 1)}, "Forderung verjährt"),
    ({"debtor_company": "Möbel Schulz GmbH i.L."}, "Insolvenzverfahren"),
])
def test_agency_only_rules_refuse_what_the_gateway_accepts(fresh_sim, agency, creds, changes,
                                                            reason):
    """The agency's own registers and the limitation period: reasons the gateway cannot know."""
    from gateway.domain.model import DebtorKind
    from gateway.domain.validation import validate_claim

    content = person_claim("ORDER-AGENCY-ONLY")
    if "debtor_company" in changes:
        content = replace(content, debtor=replace(content.debtor, kind=DebtorKind.COMPANY,
                                                  company=changes.pop("debtor_company")))
    content = replace(content, **changes)
    assert validate_claim(content, SIM_START.date()) == []  # the gateway lets it through
    with pytest.raises(AgencyRejected) as caught:
        agency.submit_claim(creds, Claim(shop_id="s", content=content))
    assert any(reason in r for r in caught.value.reasons)
    assert fresh_sim.stats()["claims"] == 0


def test_unknown_file_number_is_rejected(fresh_sim, agency, creds):
    with pytest.raises(AgencyRejected):
        agency.get_status(creds, "12345678901")


def test_wrong_key_is_an_auth_failure(agency, sim):
    with pytest.raises(AgencyAuthFailed):
        agency.check_credentials(AgencyCredentials(str(CLIENT_ID), "wrong-key"))
    with pytest.raises(AgencyAuthFailed):
        agency.check_credentials(AgencyCredentials("999", sim.clients[CLIENT_ID]))


def test_connection_refused_is_transient(sim):
    with socket_closed_port() as port:
        agency = MediafinanzAgency(f"http://127.0.0.1:{port}/mediafinanz", "k", timeout_s=1.0)
        with pytest.raises(AgencyTransient) as caught:
            agency.check_credentials(AgencyCredentials("1", "k"))
        assert not isinstance(caught.value, AgencyAmbiguous)


@pytest.mark.parametrize("kind, error", [
    ("http500", AgencyTransient), ("http503", AgencyTransient),
    ("server_fault", AgencyTransient), ("drop", AgencyAmbiguous),
])
def test_injected_faults_before_processing(fresh_sim, agency, creds, kind, error):
    fresh_sim.inject(kind, "newClaim")
    with pytest.raises(error) as caught:
        agency.submit_claim(creds, claim("ORDER-F"))
    if error is AgencyTransient:
        assert not isinstance(caught.value, AgencyAmbiguous)
    assert fresh_sim.stats()["claims"] == 0
    assert agency.submit_claim(creds, claim("ORDER-F"))  # the fault was used up


@pytest.mark.parametrize("kind", ["lost_response", "slow"])
def test_answer_lost_after_the_claim_was_stored_is_ambiguous(fresh_sim, sim, creds, kind):
    agency = MediafinanzAgency(sim.url, sim.application_key, timeout_s=0.5)
    fresh_sim.inject(kind, "newClaim", delay_s=1.5)
    with pytest.raises(AgencyAmbiguous):
        agency.submit_claim(creds, claim("ORDER-L"))
    stored = fresh_sim.claims()["ORDER-L"]
    # Retrying is safe: the agency's invoice dedupe answers the stored claim's number.
    assert agency.submit_claim(creds, claim("ORDER-L")) == stored
    assert fresh_sim.stats()["duplicates"] == 1


def test_faults_can_be_queued_over_http(fresh_sim, agency, creds):
    answer = requests.post(fresh_sim.base_url + "/_sim/faults",
                           json={"kind": "http503", "operation": "getPayoutList", "count": 2},
                           timeout=5)
    assert answer.json() == {"ok": True}
    for _ in range(2):
        with pytest.raises(AgencyTransient):
            agency.check_credentials(creds)
    agency.check_credentials(creds)
    assert fresh_sim.stats()["faults"] == {"http503": 2}


def test_seeded_fail_rate_classifies_every_outcome():
    # A generous timeout, and "slow" answers well beyond it: on a busy machine an ordinary
    # answer must not time out (it did once at 0.5 s), a slow one must.
    with start_simulator(fail_rate=0.5, seed=3, slow_s=4.0, start=SIM_START) as sim:
        agency = MediafinanzAgency(sim.url, sim.application_key, timeout_s=1.5)
        creds = AgencyCredentials(str(CLIENT_ID), sim.clients[CLIENT_ID])
        outcomes: dict[str, str] = {}  # kind -> the last message of that kind, for the report
        for _ in range(30):
            try:
                agency.check_credentials(creds)
                outcomes["ok"] = ""
            except (AgencyTransient, AgencyAuthFailed, AgencyRejected) as exc:
                outcomes[type(exc).__name__] = str(exc)
        assert set(outcomes) <= {"ok", "AgencyTransient", "AgencyAmbiguous"}, outcomes
        assert {"ok", "AgencyTransient"} <= set(outcomes), outcomes
        assert sum(sim.stats()["faults"].values()) > 5, sim.stats()


def test_forced_unknown_code_maps_to_no_state(fresh_sim, agency, creds):
    number = agency.submit_claim(creds, claim("ORDER-U"))
    requests.post(fresh_sim.base_url + "/_sim/status",
                  json={"fileNumber": number, "statusCode": 19999}, timeout=5)
    status = agency.get_status(creds, number)
    assert (status.code, status.state) == (19999, None)
    assert [c.code for c in agency.get_status_changes(creds).changes][-1] == 19999


def test_status_table_covers_every_code_the_simulator_emits():
    assert emitted_codes() <= set(status_table())


def test_statuses_move_over_simulated_time(fresh_sim, agency, creds):
    numbers = [agency.submit_claim(creds, claim(f"ORDER-T{i}")) for i in range(30)]
    fresh_sim.advance(days=365)
    states = {agency.get_status(creds, n).state for n in numbers}
    assert ClaimState.PAID in states and len(states) >= 2
    seen = {c.state for c in agency.get_status_changes(creds).changes}
    assert {ClaimState.SUBMITTED, ClaimState.IN_COLLECTION} <= seen and len(seen) >= 4
    paid = [n for n in numbers if agency.get_status(creds, n).state is ClaimState.PAID]
    summary = agency.get_accounting(creds, paid[0])
    assert summary.outstanding == Decimal("0.00") and summary.payouts
    assert summary.sum_payout == sum(p.amount for p in summary.payouts)
    assert agency.payouts(creds)


def test_32_concurrent_clients_with_100ms_latency(creds):
    with start_simulator(latency_ms=100, start=SIM_START) as sim:
        agency = MediafinanzAgency(sim.url, sim.application_key, timeout_s=5.0)
        errors: list[BaseException] = []

        def work(i: int) -> None:
            try:
                for j in range(3):
                    agency.submit_claim(creds, claim(f"ORDER-C{i}-{j}"))
            except BaseException as exc:  # noqa: BLE001 - collected for the assert
                errors.append(exc)

        started = time.monotonic()
        threads = [threading.Thread(target=work, args=(i,)) for i in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        assert not errors
        assert sim.stats()["claims"] == 96
        assert elapsed < 3.0  # 3 rounds of 100 ms in parallel, not 96 in a row


class socket_closed_port:
    """A loopback port nobody listens on."""

    def __enter__(self) -> int:
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        return self.port

    def __exit__(self, *exc) -> None:
        pass


def test_invalid_requests_leave_no_debtor_data_in_logs(fresh_sim, caplog):
    caplog.set_level("DEBUG")
    envelope = ('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
                'xmlns:m="urn:inkasso-gateway:agency:mediafinanz:v1"><soap:Body><m:newClaim>'
                '<m:auth><m:clientId>1001</m:clientId><m:licenceKey>not-hex</m:licenceKey>'
                '<m:sandbox>false</m:sandbox></m:auth><m:debtor><m:lastname>Geheimname</m:lastname>'
                '</m:debtor></m:newClaim></soap:Body></soap:Envelope>')
    answer = requests.post(fresh_sim.url, data=envelope.encode(), timeout=5,
                           headers={"Content-Type": "text/xml; charset=utf-8"})
    assert answer.status_code == 500 and b"Client" in answer.content
    assert "Geheimname" not in caplog.text
    doctype = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + envelope.encode()
    answer = requests.post(fresh_sim.url, data=doctype, timeout=5)
    assert answer.status_code == 500 and b"Client.DTDForbidden" in answer.content
