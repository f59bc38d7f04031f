"""The real REST adapter against the real REST simulator on a loopback port."""
from __future__ import annotations

import io
import threading
import time
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
import requests

from gateway import logs
from gateway.agencies.mediafinanz_rest import MediafinanzRestAgency
from gateway.agencies.simulator import FAULT_KINDS, RestClient, start_rest_simulator
from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import Claim, CourtDunningInstruction, DebtorKind
from gateway.service.agency_port import (AgencyAmbiguous, AgencyAuthFailed, AgencyCredentials,
                                         AgencyRejected, AgencyTransient)
from gateway.service.claims import apply_agency_status
from gateway.service.court_dunning import court_dunning_amounts_of
from mappings.mediafinanz_rest import OPERATIONS, jsonwire, new_claim_body

from .conftest import SIM_START, claim, credentials_of, person_claim

OTHER_UUID = "0b9e3c1d-2002-4f7a-8c3b-000000002002"


def test_every_operation(fresh_sim, agency, creds):
    agency.check_credentials(creds)
    number = agency.submit_claim(creds, claim())
    assert len(number) == 11 and number.isdigit()

    status = agency.get_status(creds, number)
    assert (status.code, status.state) == (10201, ClaimState.SUBMITTED)
    assert status.at == SIM_START  # when the agency set the code, on its calendar

    summary = agency.get_accounting(creds, number)
    assert (summary.total_debts, summary.outstanding) == (Decimal("124.90"), Decimal("124.90"))

    agency.book_direct_payment(creds, number, date(2024, 5, 2), Decimal("24.90"))
    assert agency.get_accounting(creds, number).outstanding == Decimal("100.00")
    paid = agency.get_status(creds, number)
    assert (paid.code, paid.state) == (10218, ClaimState.PARTIALLY_PAID)

    # The amounts the court dunning application lists apart travel with the hand-over.
    amounts = court_dunning_amounts_of(claim(), SIM_START.date())
    assert amounts.interest is not None
    with pytest.raises(AgencyRejected):  # the agency checks the principal against its file
        agency.hand_over_to_lawyer(creds, number, CourtDunningInstruction.DUNNING_ONLY,
                                   replace(amounts, principal=Decimal("1.00")))
    agency.hand_over_to_lawyer(creds, number, CourtDunningInstruction.DUNNING_ONLY, amounts)
    assert agency.get_status(creds, number).state is ClaimState.COURT_DUNNING_REQUESTED
    assert fresh_sim.simulator.court_amounts(number) == amounts
    with pytest.raises(AgencyRejected):  # a second hand-over: already in court
        agency.hand_over_to_lawyer(creds, number, CourtDunningInstruction.DUNNING_ONLY, amounts)

    # Polling (no changes feed): what the sync does with each answer, day by day.
    tracked = Claim(shop_id="shop-1", content=person_claim(), state=ClaimState.SUBMITTED,
                    agency_account="rest")
    for _ in range(60):
        fresh_sim.advance(days=3)
        status = agency.get_status(creds, number)
        apply_agency_status(tracked, status, status.at)
    assert tracked.court.dunning_order_issued_on is not None
    assert tracked.court.dunning_order_served_on >= tracked.court.dunning_order_issued_on

    second = agency.submit_claim(creds, claim("ORDER-1002"))
    agency.close_claim(creds, second)
    assert agency.get_status(creds, second).state is ClaimState.CANCELLED
    with pytest.raises(AgencyRejected) as caught:
        agency.close_claim(creds, second)  # already closed: 409 with the agency's reason
    assert caught.value.reasons == ("Akte ist bereits abgeschlossen",)
    with pytest.raises(AgencyRejected):
        agency.get_status_changes(creds)

    calls = fresh_sim.stats()["calls"]
    assert set(calls) == set(OPERATIONS)


def test_reset_puts_the_clock_back_to_its_start(fresh_sim, agency, creds):
    assert fresh_sim.stats()["now"] == SIM_START.isoformat()
    fresh_sim.advance(days=3 * 365)
    assert fresh_sim.stats()["now"].startswith("2027-")
    assert requests.post(fresh_sim.base_url + "/_sim/reset", timeout=5).json() == {"ok": True}
    assert requests.get(fresh_sim.base_url + "/_sim/stats", timeout=5).json()["now"] == \
        SIM_START.isoformat()
    assert agency.submit_claim(creds, claim("ORDER-AFTER-RESET"))  # 2024 is in time again


def test_a_repeated_client_customer_ref_no_gives_the_same_file_number(fresh_sim, agency, creds):
    first = agency.submit_claim(creds, claim("ORDER-DUP"))
    again = agency.submit_claim(creds, claim("ORDER-DUP"))
    assert first == again
    stats = fresh_sim.stats()
    assert (stats["claims"], stats["duplicates"]) == (1, 1)
    assert fresh_sim.claims() == {"ORDER-DUP": first}
    assert requests.get(fresh_sim.base_url + "/_sim/claims", timeout=5).json() == \
        {"ORDER-DUP": first}
    # The key is the hand-over reference, not the shop's claim id.
    other = agency.submit_claim(creds, claim("ORDER-DUP", reference="GW7-000001"))
    assert other != first
    assert agency.submit_claim(creds, claim("ORDER-DUP", reference="GW7-000001")) == other
    assert fresh_sim.claims() == {"ORDER-DUP": first, "GW7-000001": other}


def test_new_answers_201_then_200_for_the_same_reference(fresh_sim, creds):
    body = jsonwire.dumps(new_claim_body(person_claim("ORDER-201"), "ORDER-201"))
    answers = [_put_new(fresh_sim, creds, body) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 200]
    assert answers[0].json()["FileNumber"] == answers[1].json()["FileNumber"]


def test_the_same_reference_of_another_client_is_another_claim():
    clients = {"6d1f0e2a-1001-4c6b-9a5e-000000001001": RestClient(1001, "a", "pw-a"),
               OTHER_UUID: RestClient(1002, "b", "pw-b")}
    with start_rest_simulator(clients=clients, start=SIM_START) as sim:
        agency = MediafinanzRestAgency(sim.url, timeout_s=2.0)
        first = agency.submit_claim(credentials_of(sim), claim("ORDER-X"))
        second = agency.submit_claim(credentials_of(sim, OTHER_UUID), claim("ORDER-X"))
        assert first != second and sim.stats()["duplicates"] == 0
        with pytest.raises(AgencyRejected):  # another client's file is unknown
            agency.get_status(credentials_of(sim, OTHER_UUID), first)


def test_business_validation_is_a_rejection_with_reasons(fresh_sim, agency, creds):
    content = person_claim("ORDER-BAD", principal=Decimal("0.00"),
                           date_of_origin=date(2999, 1, 1))
    bad = Claim(shop_id="s", content=replace(content, debtor=replace(
        content.debtor, last_name=None, postcode="1234")))
    with pytest.raises(AgencyRejected) as caught:
        agency.submit_claim(creds, bad)
    reasons = " | ".join(caught.value.reasons)
    for expected in ("Nachname", "Postleitzahl", "Hauptforderung", "Zukunft"):
        assert expected in reasons
    abroad = claim("ORDER-XX", debtor=replace(person_claim().debtor, country="XX"))
    with pytest.raises(AgencyRejected) as caught:
        agency.submit_claim(creds, abroad)
    assert caught.value.reasons == ("Unbekanntes Land: XX",)
    assert fresh_sim.stats()["claims"] == 0 and fresh_sim.stats()["rejected"] == 2


@pytest.mark.parametrize("changes, reason", [
    ({"date_of_origin": date(SIM_START.year - 4, 6, 1)}, "Forderung verjährt"),
    ({"debtor_company": "Möbel Schulz GmbH i.L."}, "Insolvenzverfahren"),
])
def test_agency_only_rules_refuse_what_the_gateway_accepts(fresh_sim, agency, creds, changes,
                                                            reason):
    content = person_claim("ORDER-AGENCY-ONLY")
    if "debtor_company" in changes:
        content = replace(content, debtor=replace(content.debtor, kind=DebtorKind.COMPANY,
                                                  company=changes.pop("debtor_company")))
    content = replace(content, **changes)
    with pytest.raises(AgencyRejected) as caught:
        agency.submit_claim(creds, Claim(shop_id="s", content=content))
    assert any(reason in r for r in caught.value.reasons)
    assert fresh_sim.stats()["claims"] == 0


def test_a_body_that_does_not_fit_answers_400_naming_the_field(fresh_sim, creds):
    body = new_claim_body(person_claim("ORDER-400"), "ORDER-400")
    body["Debtor"]["PersonType"] = 7
    answer = _put_new(fresh_sim, creds, jsonwire.dumps(body))
    assert answer.status_code == 400
    assert answer.json() == {"Errors": ["Debtor.PersonType: unknown code"]}
    body["Debtor"]["PersonType"] = 1
    body["Claim"]["PrincipalClaim"]["Value"] = "119.90"  # a string, not a JSON number
    answer = _put_new(fresh_sim, creds, jsonwire.dumps(body))
    assert answer.json() == {"Errors": ["Claim.PrincipalClaim.Value: number expected"]}
    assert _put_new(fresh_sim, creds, b"{not json").status_code == 400
    assert _put_new(fresh_sim, creds, b"{}", content_type="text/plain").status_code == 415
    assert fresh_sim.stats()["claims"] == 0


def test_validate_header_checks_without_changing_anything(fresh_sim, creds):
    good = jsonwire.dumps(new_claim_body(person_claim("ORDER-V"), "ORDER-V"))
    answer = _put_new(fresh_sim, creds, good, validate=True)
    assert (answer.status_code, answer.json()) == (200, {"Valid": True})
    bad = jsonwire.dumps(new_claim_body(person_claim("ORDER-V", principal=Decimal("0.00")),
                                        "ORDER-V"))
    answer = _put_new(fresh_sim, creds, bad, validate=True)
    assert answer.status_code == 422
    assert answer.json()["Errors"] == ["Hauptforderung muss größer als 0 sein"]
    assert fresh_sim.stats()["claims"] == 0


def test_unknown_file_number_is_rejected(fresh_sim, agency, creds):
    with pytest.raises(AgencyRejected) as caught:
        agency.get_status(creds, "12345678901")
    assert caught.value.reasons == ("Unbekanntes Aktenzeichen 12345678901",)


@pytest.mark.parametrize("change", [
    dict(client_key="wrong-password"), dict(user="someone-else"),
    dict(client_id=OTHER_UUID), dict(client_id=OTHER_UUID.upper()),
], ids=["password", "user", "unknown-uuid", "unknown-uuid-upper"])
def test_wrong_credentials_are_an_auth_failure(fresh_sim, agency, creds, change):
    with pytest.raises(AgencyAuthFailed):
        agency.check_credentials(replace(creds, **change))
    with pytest.raises(AgencyAuthFailed):
        agency.submit_claim(replace(creds, **change), claim("ORDER-AUTH"))
    assert fresh_sim.stats()["claims"] == 0


def test_the_uuid_is_not_case_sensitive(fresh_sim, agency, creds):
    agency.check_credentials(replace(creds, client_id=creds.client_id.upper()))


def test_connection_refused_is_transient():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    agency = MediafinanzRestAgency(f"http://127.0.0.1:{port}", timeout_s=1.0)
    with pytest.raises(AgencyTransient) as caught:
        agency.check_credentials(AgencyCredentials(OTHER_UUID, "pw", user="u"))
    assert not isinstance(caught.value, AgencyAmbiguous)


@pytest.mark.parametrize("kind, error", [
    ("http500", AgencyTransient), ("http503", AgencyTransient),
    ("server_fault", AgencyTransient), ("drop", AgencyAmbiguous),
])
def test_injected_faults_before_processing(fresh_sim, agency, creds, kind, error):
    fresh_sim.inject(kind, "claim_new")
    with pytest.raises(error) as caught:
        agency.submit_claim(creds, claim("ORDER-F"))
    if error is AgencyTransient:
        assert not isinstance(caught.value, AgencyAmbiguous)
    assert fresh_sim.stats()["claims"] == 0  # nothing was processed
    assert agency.submit_claim(creds, claim("ORDER-F"))  # the fault was used up
    assert fresh_sim.stats()["faults"] == {kind: 1}


@pytest.mark.parametrize("kind", ["lost_response", "slow"])
def test_answer_lost_after_the_claim_was_stored_is_ambiguous(fresh_sim, sim, creds, kind):
    agency = MediafinanzRestAgency(sim.url, timeout_s=0.5)
    fresh_sim.inject(kind, "claim_new", delay_s=1.5)
    with pytest.raises(AgencyAmbiguous):
        agency.submit_claim(creds, claim("ORDER-L"))
    stored = fresh_sim.claims()["ORDER-L"]
    # Retrying is safe: the agency's ClientCustomerRefNo dedupe answers the stored number.
    assert agency.submit_claim(creds, claim("ORDER-L")) == stored
    assert (fresh_sim.stats()["claims"], fresh_sim.stats()["duplicates"]) == (1, 1)


def test_latency_fault_answers_late_but_answers(fresh_sim, agency, creds):
    number = agency.submit_claim(creds, claim("ORDER-LATE"))
    fresh_sim.inject("latency", "claim_status", delay_s=0.3)
    started = time.monotonic()
    assert agency.get_status(creds, number).code == 10201
    assert time.monotonic() - started >= 0.3


def test_every_fault_kind_is_classified(fresh_sim, sim, creds):
    """One request per kind, on an operation that changes nothing: what each becomes."""
    agency = MediafinanzRestAgency(sim.url, timeout_s=0.5)
    outcome = {}
    for kind in FAULT_KINDS:
        fresh_sim.inject(kind, "account", delay_s=1.0 if kind == "slow" else 0.2)
        try:
            agency.check_credentials(creds)
            outcome[kind] = "ok"
        except AgencyTransient as exc:
            outcome[kind] = type(exc).__name__
    assert outcome == {"latency": "ok", "http500": "AgencyTransient",
                       "http503": "AgencyTransient", "server_fault": "AgencyTransient",
                       "drop": "AgencyAmbiguous", "lost_response": "AgencyAmbiguous",
                       "slow": "AgencyAmbiguous"}


def test_faults_can_be_queued_over_http(fresh_sim, agency, creds):
    answer = requests.post(fresh_sim.base_url + "/_sim/faults",
                           json={"kind": "http503", "operation": "account", "count": 2},
                           timeout=5)
    assert answer.json() == {"ok": True}
    for _ in range(2):
        with pytest.raises(AgencyTransient):
            agency.check_credentials(creds)
    agency.check_credentials(creds)
    assert fresh_sim.stats()["faults"] == {"http503": 2}
    refused = requests.post(fresh_sim.base_url + "/_sim/faults",
                            json={"kind": "http503", "operation": "newClaim"}, timeout=5)
    assert refused.status_code == 400  # a SOAP operation name is no REST operation


def test_seeded_fail_rate_classifies_every_outcome():
    # A generous timeout, and "slow" answers well beyond it (see the SOAP twin of this test).
    with start_rest_simulator(fail_rate=0.5, seed=3, slow_s=4.0, start=SIM_START) as sim:
        agency = MediafinanzRestAgency(sim.url, timeout_s=1.5)
        creds = credentials_of(sim)
        outcomes: dict[str, str] = {}
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


def test_statuses_move_over_simulated_time(fresh_sim, agency, creds):
    numbers = [agency.submit_claim(creds, claim(f"ORDER-T{i}")) for i in range(30)]
    assert {agency.get_status(creds, n).state for n in numbers} == {ClaimState.SUBMITTED}
    fresh_sim.advance(days=2)
    assert {agency.get_status(creds, n).code for n in numbers} == {10203}
    fresh_sim.advance(days=20)
    midway = {agency.get_status(creds, n).state for n in numbers}
    assert ClaimState.IN_COLLECTION in midway and len(midway) >= 3, midway
    fresh_sim.advance(days=345)
    statuses = [agency.get_status(creds, n) for n in numbers]
    states = {s.state for s in statuses}
    assert ClaimState.PAID in states and len(states) >= 2, states
    assert all(SIM_START < s.at <= SIM_START.replace(year=2025, month=6, day=6)
               for s in statuses)
    paid = [s.file_number for s in statuses if s.state is ClaimState.PAID]
    summary = agency.get_accounting(creds, paid[0])
    assert summary.outstanding == Decimal("0.00") and summary.payouts
    assert summary.sum_payout == sum(p.amount for p in summary.payouts)


def test_16_concurrent_clients_with_100ms_latency():
    with start_rest_simulator(latency_ms=100, start=SIM_START) as sim:
        agency = MediafinanzRestAgency(sim.url, timeout_s=5.0)
        creds = credentials_of(sim)
        errors: list[BaseException] = []

        def work(i: int) -> None:
            try:
                for j in range(3):
                    agency.submit_claim(creds, claim(f"ORDER-C{i}-{j}"))
            except BaseException as exc:  # noqa: BLE001 - collected for the assert
                errors.append(exc)

        started = time.monotonic()
        threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert sim.stats()["claims"] == 48
        assert time.monotonic() - started < 3.0  # 3 rounds of 100 ms in parallel


def test_refused_requests_leave_no_debtor_data_in_logs(fresh_sim, agency, creds, caplog):
    stream = io.StringIO()
    logs.configure("debug", "json", stream=stream)
    caplog.set_level("DEBUG")
    try:
        secret = replace(person_claim("ORDER-SECRET").debtor, last_name="Geheimname",
                         postcode="1234", street="Verstecktweg")
        with pytest.raises(AgencyRejected) as caught:
            agency.submit_claim(creds, claim("ORDER-SECRET", debtor=secret))
        body = new_claim_body(person_claim("ORDER-SECRET", debtor=secret), "ORDER-SECRET")
        body["Debtor"]["PersonType"] = "Geheimname"
        assert _put_new(fresh_sim, creds, jsonwire.dumps(body)).status_code == 400
        assert _put_new(fresh_sim, creds, "{Geheimname".encode()).status_code == 400
    finally:
        logs.configure("info", "json")
    assert "Ungültige Postleitzahl: 1234" in caught.value.reasons
    logged = stream.getvalue() + caplog.text
    assert "claim_new" in logged
    for text in ("Geheimname", "Verstecktweg", "1234", "dev-password-1001"):
        assert text not in logged, text


def _put_new(sim, creds, body: bytes, *, validate: bool = False,
             content_type: str = "application/json") -> requests.Response:
    headers = {"uuid": creds.client_id, "user": creds.user, "password": creds.client_key,
               "Content-Type": content_type, "Accept": "application/json"}
    if validate:
        headers["validate"] = "1"
    return requests.put(sim.url + "/v2.1/collect/claim/new/", data=body, headers=headers,
                        timeout=5)
