"""What staff do in the console and what it lists: the court dunning order through its
confirmation, refusals that explain themselves, retries, reviews, filters, keyset pages,
CSV exports and the audit trail; on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from gateway.console import store
from gateway.console.claim_views import confirmed_candidates
from gateway.domain.court_dunning import preflight
from gateway.domain.errors import ValidationFailed
from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import AccountingSummary, Payout
from gateway.service import claims as claim_service
from gateway.store import tables
from tests.court_dunning.helpers import audit_rows, outbox_rows
from tests.factories import company, content, person

from .conftest import audit, set_state, state_of, table, uncollectible


def rows_of(html: str, table_id: str = "claims") -> list[str]:
    """The shop claim ids a claims list shows, in order."""
    return re.findall(r'/console/claims/\d+">([^<]+)</a>', table(html, table_id))


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))


# -- the court dunning order ----------------------------------------------------------------
def test_court_dunning_through_the_confirmation(gw, world, login):
    claim = world.claims["A-READY"]
    anna = login("anna")
    first = anna.get(f"/console/claims/{claim}/court-dunning").get_data(as_text=True)
    assert "Zulässig" in first and "AG Coburg" in first  # shop-a's seat: Bavaria
    confirm = anna.post(f"/console/claims/{claim}/court-dunning",
                        {"step": "confirm", "instruction": "DUNNING_THEN_LAWSUIT",
                         "note": "drei Mahnungen ohne Antwort"})
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    # The confirmation shows court, fee and limitation before anything is stored.
    assert re.search(r'id="court">AG Coburg<', page)
    assert re.search(r'id="fee">38,00 €<', page)
    assert re.search(rf'id="limitation">31\.12\.{gw.clock().year + 3}<', page) or \
        re.search(r'id="limitation">31\.12\.\d{4}<', page)
    assert state_of(gw, claim) is ClaimState.UNCOLLECTIBLE and audit_rows(gw) == []
    done = anna.post(f"/console/claims/{claim}/court-dunning",
                     {"step": "submit", "instruction": "DUNNING_THEN_LAWSUIT",
                      "note": "drei Mahnungen ohne Antwort"})
    assert done.status_code == 303
    assert done.headers["Location"] == f"/console/claims/{claim}/court-dunning/result"
    result = anna.get(done.headers["Location"]).get_data(as_text=True)
    assert "Mahnbescheid beantragt" in result and "von anna" in result
    assert state_of(gw, claim) is ClaimState.COURT_DUNNING_REQUESTED
    [request] = audit_rows(gw)
    assert (request.requested_by, request.instruction, request.note) == (
        "anna", "DUNNING_THEN_LAWSUIT", "drei Mahnungen ohne Antwort")
    assert outbox_rows(gw)[-1].kind == "HAND_OVER_TO_LAWYER"
    [entry] = audit(gw, "court_dunning_requested")
    assert (entry.actor, entry.address, entry.shop_id, entry.claim_id) == (
        "anna", "192.0.2.10", "shop-a", claim)
    assert entry.details["instruction"] == "DUNNING_THEN_LAWSUIT"
    assert entry.details["court"] == "AG Coburg" and entry.details["courtFee"] == "38.00"

    # Sent again (the browser's back button): a conflict that explains itself, nothing stored.
    again = anna.post(f"/console/claims/{claim}/court-dunning",
                      {"step": "submit", "instruction": "DUNNING_ONLY"})
    text = again.get_data(as_text=True)
    assert again.status_code == 409
    assert "bereits im gerichtlichen Verfahren" in text
    assert len(audit_rows(gw)) == 1 and len(audit(gw, "court_dunning_requested")) == 1
    assert audit(gw, "court_dunning_refused")[-1].details["error"] == "Conflict"


def test_refused_request_names_every_reason(gw, world, login):
    claim = world.claims["A-ABROAD"]
    anna = login("anna")
    page = anna.get(f"/console/claims/{claim}/court-dunning").get_data(as_text=True)
    assert "Nicht zulässig" in page and "DEBTOR_ABROAD" in page and "(AT)" in page
    assert 'name="step" value="confirm"' not in page  # nothing to confirm
    for step in ("confirm", "submit"):
        answer = anna.post(f"/console/claims/{claim}/court-dunning",
                           {"step": step, "instruction": "DUNNING_ONLY"})
        assert answer.status_code in (409, 422)
        assert "Auslandszustellung" in answer.get_data(as_text=True)
    assert state_of(gw, claim) is ClaimState.UNCOLLECTIBLE and audit_rows(gw) == []
    [refused] = audit(gw, "court_dunning_refused")
    assert refused.details["reasons"] == ["DEBTOR_ABROAD"]


def test_claim_without_an_instruction_is_not_requested(gw, world, login):
    claim = world.claims["A-READY"]
    anna = login("anna")
    answer = anna.post(f"/console/claims/{claim}/court-dunning", {"step": "submit"})
    assert answer.status_code == 422 and "Bitte wählen" in answer.get_data(as_text=True)
    assert state_of(gw, claim) is ClaimState.UNCOLLECTIBLE


def test_claim_page_shows_contents_history_accounting_court_and_preflight(gw, world, login):
    claim = world.claims["A-OLD"]
    page = login("anna").get(f"/console/claims/{claim}").get_data(as_text=True)
    for text in ("Wanderschuhe", "149,90 €", "AZ-104", "Abrechnung", "Offen",
                 "Widerspruchsfrist endet", "Verlauf", "Von Agentur angenommen",
                 "LIMITATION_SOON", "Die Verjährung endet am 31.12.", "AG Coburg",
                 "Katalognummer", "11 Kaufvertrag"):
        assert text in page, text


# -- operators: deliveries, reviews, agency changes -----------------------------------------
def test_operator_retries_a_dead_delivery(gw, world, login):
    row = world.deliveries["A-OPEN"]
    otto = login("otto")
    page = otto.get("/console/deliveries").get_data(as_text=True)
    assert "AgencyTimeout" in table(page, "deliveries") and "Erneut senden" in page
    answer = otto.post(f"/console/deliveries/{row}/retry")
    assert answer.status_code == 303
    assert f"Zustellung {row} wird erneut versucht" in otto.get(answer.headers["Location"]) \
        .get_data(as_text=True)
    with gw.engine.connect() as conn:
        state, attempts = conn.execute(select(tables.outbox.c.state, tables.outbox.c.attempts)
                                       .where(tables.outbox.c.id == row)).one()
    assert (state, attempts) == ("pending", 0)
    [entry] = audit(gw, "delivery_retried")
    assert (entry.actor, entry.details["delivery"], entry.details["was"]) == ("otto", row, "dead")
    # A second retry finds nothing to do: said, not audited as done.
    otto.get("/console/deliveries")
    otto.post(f"/console/deliveries/{row}/retry")
    assert len(audit(gw, "delivery_retried")) == 1


def test_operator_resolves_a_review(gw, world, login):
    claim = world.claims["A-REVIEW"]
    otto = login("otto")
    listed = otto.get("/console/claims?review=1").get_data(as_text=True)
    assert rows_of(listed) == ["A-REVIEW"]
    page = otto.get(f"/console/claims/{claim}").get_data(as_text=True)
    assert "Prüfung abschließen" in page
    # The state before the review is offered first.
    assert re.search(r'<option value="SUBMITTED" selected>', page)
    answer = otto.post(f"/console/claims/{claim}/review", {"state": "IN_COLLECTION"})
    assert answer.status_code == 303
    assert "Prüfung abgeschlossen" in otto.get(answer.headers["Location"]).get_data(as_text=True)
    assert state_of(gw, claim) is ClaimState.IN_COLLECTION
    _, events = claim_service.get_history(gw.read_uow, "shop-a", "A-REVIEW")
    assert (events[-1].what, str(events[-1].actor)) == ("review_resolved", "staff:otto")
    assert audit(gw, "review_resolved")[0].details["resolvedTo"] == "IN_COLLECTION"
    # Again: the claim is no longer in review; refused and said so.
    otto.post(f"/console/claims/{claim}/review", {"state": "PAID"})
    assert state_of(gw, claim) is ClaimState.IN_COLLECTION
    assert audit(gw, "review_refused")[0].details["error"] == "Conflict"


def test_a_review_cannot_end_in_a_request(gw, world, login):
    otto = login("otto")
    claim = world.claims["A-REVIEW"]
    otto.get(f"/console/claims/{claim}")
    otto.post(f"/console/claims/{claim}/review", {"state": "COURT_DUNNING_REQUESTED"})
    assert state_of(gw, claim) is ClaimState.NEEDS_REVIEW


def test_unmatched_agency_changes_for_operators(gw, world, login):
    page = login("otto").get("/console/unmatched").get_data(as_text=True)
    assert "AZ-999" in table(page, "unmatched") and "Zahlung eingegangen" in page
    exported = login("root").get("/console/unmatched?format=csv").get_data(as_text=True)
    assert csv_rows(exported)[0]["Aktenzeichen"] == "AZ-999"
    assert login("bernd").get("/console/unmatched").status_code == 403


# -- lists ----------------------------------------------------------------------------------
@pytest.mark.parametrize("query,expected", [
    ("", ["A-OLD", "A-REVIEW", "A-OPEN", "A-ABROAD", "A-READY"]),
    ("candidate=1", ["A-READY"]),
    ("review=1", ["A-REVIEW"]),
    ("limitation=1", ["A-OLD"]),
    ("state=UNCOLLECTIBLE", ["A-ABROAD", "A-READY"]),
    ("q=A-OPEN", ["A-OPEN"]),
    ("q=AZ-101", ["A-ABROAD"]),
    ("q=A-OP", []),  # exact: a shop claim id or a file number
    ("account=merchant&state=IN_COLLECTION", ["A-OPEN"]),
    ("connection=default&review=1", ["A-REVIEW"]),
    ("connection=elsewhere", []),
])
def test_filters(gw, world, login, query, expected):
    page = login("anna").get(f"/console/claims?{query}").get_data(as_text=True)
    assert rows_of(page) == expected
    assert f'<span id="total">{len(expected)}</span>' in page


def test_keyset_pages_cover_every_claim_once(gw, world, login):
    for i in range(store.PAGE_SIZE + 7):
        claim_service.submit_claim(gw.uow, "shop-a", content(f"P-{i:03d}", today=gw.clock()
                                                             .date()), now=gw.clock())
    anna = login("anna")
    seen, url, pages = [], "/console/claims", 0
    while url:
        html = anna.get(url).get_data(as_text=True)
        seen += rows_of(html)
        pages += 1
        older = re.search(r'rel="next" href="([^"]+)"', html)
        url = older.group(1).replace("&amp;", "&") if older else None
    assert pages == 2
    assert len(seen) == len(set(seen)) == store.PAGE_SIZE + 7 + 5
    # And back: the page before the second is the first.
    second = anna.get(f"/console/claims?after={_id_of(gw, seen[store.PAGE_SIZE - 1])}")
    newer = re.search(r'rel="prev" href="([^"]+)"', second.get_data(as_text=True)).group(1)
    assert rows_of(anna.get(newer.replace("&amp;", "&")).get_data(as_text=True)) == \
        seen[:store.PAGE_SIZE]


def _id_of(gw, shop_claim_id: str) -> int:
    return claim_service.get_claim(gw.read_uow, "shop-a", shop_claim_id).id


def test_csv_export_follows_the_filters_and_is_audited(gw, world, login):
    anna = login("anna")
    answer = anna.get("/console/claims?format=csv&state=UNCOLLECTIBLE")
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in answer.headers["Content-Disposition"]
    text = answer.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = csv_rows(text)
    assert [r["Forderung"] for r in rows] == ["A-ABROAD", "A-READY"]
    assert rows[0]["Hauptforderung"] == "149,90" and rows[0]["Zustandscode"] == "UNCOLLECTIBLE"
    [entry] = audit(gw, "csv_export")
    assert entry.details == {"list": "claims", "filters": {"state": "UNCOLLECTIBLE"},
                             "rows": 2, "debtor_data": True}


def test_csv_cells_are_never_formulas(gw, world, login):
    claim_service.submit_claim(gw.uow, "shop-a", content(
        "=HYPERLINK(1)", today=gw.clock().date(),
        debtor=company(company="@SUM(A1)", phone="+49 30 123456")), now=gw.clock())
    rows = csv_rows(login("anna").get("/console/claims?format=csv").get_data(as_text=True))
    row = next(r for r in rows if "HYPERLINK" in r["Forderung"])
    assert row["Forderung"] == "'=HYPERLINK(1)" and row["Schuldner"].startswith("'@SUM")
    assert row["Telefon"] == "+49 30 123456"


def test_dashboard_draws_counts_and_months(gw, world, login):
    with gw.uow() as uow:  # the agency paid 50 EUR out on one claim this month
        claim = uow.claims.get_by_id(world.claims["A-OPEN"], for_update=True)
        claim.update_accounting(AccountingSummary(
            total_debts=Decimal("154.90"), paid=Decimal("50.00"), outstanding=Decimal("104.90"),
            sum_payout=Decimal("50.00"),
            payouts=(Payout(gw.clock().date(), Decimal("50.00"), "A-1"),)))
        uow.commit()
    page = login("root").get("/console/").get_data(as_text=True)
    assert page.count("<svg") == 3
    assert "Uneinbringlich: 3" in page  # A-READY, A-ABROAD, B-READY (a bar's tooltip)
    assert "merchant: 6" in page
    month = gw.clock().strftime("%m/%Y")
    # Six claims of 149.90 arrived this month; 50.00 was paid out.
    assert f'<td>{month}</td><td class="num">899,40 €</td><td class="num">50,00 €</td>' in page
    # A shop's staff see their shop's share only.
    anna = login("anna").get("/console/").get_data(as_text=True)
    assert f'<td>{month}</td><td class="num">749,50 €</td><td class="num">50,00 €</td>' in anna


def test_audit_trail_lists_who_did_what_from_where(gw, world, login):
    anna = login("anna")
    anna.get("/console/claims?format=csv")
    page = login("root").get("/console/audit?actor=anna").get_data(as_text=True)
    rows = table(page, "audit")
    assert 'data-action="csv_export"' in rows and 'data-action="login"' in rows
    assert "192.0.2.10" in rows and "root" not in rows
    exported = csv_rows(login("root").get("/console/audit?format=csv").get_data(as_text=True))
    assert {"CSV-Export", "Anmeldung", "Mitarbeiter angelegt"} <= {r["Aktion"] for r in exported}


# -- the list's SQL agrees with the preflight -----------------------------------------------
def test_candidate_filter_agrees_with_the_preflight(gw, world):
    """Every refusal reason the preflight knows, one claim each: the SQL of the "court
    dunning candidate" filter selects exactly the uncollectible claims the preflight allows."""
    today = gw.clock().date()
    long_ago = date(today.year - 4, 6, 1)
    cases = {
        "C-OK": {}, "C-COMPANY": {"debtor": company()},
        "C-NOT-DELIVERED": {"counter_performance_rendered": False},
        "C-NO-STREET": {"debtor": person(street=None)},
        "C-EMPTY-CITY": {"debtor": person(city="")},
        "C-ABROAD": {"debtor": person(country="CH")},
        "C-TIME-BARRED": {"date_of_origin": long_ago, "due_date": long_ago,
                          "date_of_last_reminder": long_ago + timedelta(days=30)},
        # Invoiced four years ago, due in January three years ago: limitation counts from
        # the due date (§ 199 (1) BGB), so it is still in time.
        "C-DUE-IN-JANUARY": {"date_of_origin": date(today.year - 4, 12, 15),
                             "due_date": date(today.year - 3, 1, 14),
                             "date_of_last_reminder": date(today.year - 3, 2, 1)},
        "C-LAST-YEAR-IN-TIME": {"date_of_origin": date(today.year - 3, 1, 1),
                                "due_date": date(today.year - 3, 1, 15),
                                "date_of_last_reminder": date(today.year - 3, 2, 1)},
    }
    created = set()
    for i, (shop_claim_id, changes) in enumerate(cases.items()):
        try:
            uncollectible(gw, "shop-a", shop_claim_id, f"AZ-9{i:02d}", **changes)
            created.add(shop_claim_id)
        except ValidationFailed:  # the facade refuses it too (an empty city): no such claim
            pass
    assert set(cases) - created <= {"C-NO-STREET", "C-EMPTY-CITY"}
    closed = uncollectible(gw, "shop-a", "C-PAID", "AZ-990")
    set_state(gw, closed, ClaimState.PAID)
    f = store.ClaimFilter(scope=None, candidate=True)
    with store.reading(gw.engine) as conn:
        listed = {r.shop_claim_id for r in store.claim_page(conn, f, today, with_debtor=False,
                                                            size=1000).rows}
    with gw.read_uow() as uow:
        shops = {s.id: s for s in uow.shops.list()}
        ids = list(uow.claims.iter_ids())
        claims = uow.claims.get_many(ids).values()
    allowed = {c.shop_claim_id for c in claims if c.state is ClaimState.UNCOLLECTIBLE
               and preflight(c, today, shops[c.shop_id].seat).allowed}
    assert listed == allowed
    assert {"C-OK", "C-COMPANY", "C-LAST-YEAR-IN-TIME", "C-DUE-IN-JANUARY", "A-READY",
            "B-READY"} <= listed
    assert not {"C-NOT-DELIVERED", "C-ABROAD", "C-TIME-BARRED", "C-PAID"} & listed
    with store.reading(gw.engine) as conn:
        rows = store.claim_page(conn, f, today, with_debtor=False, size=1000).rows
    assert len(confirmed_candidates(gw, rows, today)) == len(rows)
