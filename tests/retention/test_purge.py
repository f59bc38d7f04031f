"""DSGVO retention: debtor data of long-closed claims is anonymised; amounts and history stay."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import ANONYMISED
from gateway.service import claims as uc
from gateway.service.agency_port import AgencyStatus
from gateway.service.retention import purge_closed_before
from gateway.service.shops import add_shop
from gateway.store import tables
from tests.factories import NOW, company, content

PERSONAL = ("first_name", "last_name", "company", "legal_form", "care_of", "street",
            "house_number", "postcode", "city", "email", "phone", "mobile", "date_of_birth",
            "customer_id")


def close(gateway, shop_claim_id, state, at):
    """Walk a claim to a closed state the way the agency would."""
    with gateway.uow() as uow:
        claim = uow.claims.get("shop-a", shop_claim_id, for_update=True)
        claim.mark_submitted("1000000" + shop_claim_id[-4:], at)
        uc.apply_agency_status(claim, AgencyStatus(claim.agency_file_number, 1, "x", state), at)
        uow.commit()


def seed(gateway):
    add_shop(gateway.uow, "shop-a", password="correct horse battery")
    old = NOW - timedelta(days=400)
    for shop_claim_id, debtor in (("OLD-0001", None), ("OLD-0002", company()),
                                  ("NEW-0003", None), ("OPEN-0004", None)):
        dated = content(shop_claim_id, debtor=debtor, date_of_origin=date(2025, 6, 1),
                        due_date=date(2025, 6, 15), date_of_last_reminder=date(2025, 7, 1))
        uc.submit_claim(gateway.uow, "shop-a", dated, now=old)
    close(gateway, "OLD-0001", ClaimState.PAID, old)
    close(gateway, "OLD-0002", ClaimState.CANCELLED, old)
    close(gateway, "NEW-0003", ClaimState.PAID, NOW)
    with gateway.uow() as uow:  # still open: in collection, never purged
        claim = uow.claims.get("shop-a", "OPEN-0004", for_update=True)
        claim.mark_submitted("10000000004", old)
        uow.commit()


def debtor_row(gateway, shop_claim_id):
    with gateway.engine.connect() as conn:
        return conn.execute(
            select(tables.debtors, tables.claims.c.principal, tables.claims.c.note)
            .join(tables.claims, tables.claims.c.id == tables.debtors.c.claim_id)
            .where(tables.claims.c.shop_claim_id == shop_claim_id)).one()


def test_purge_anonymises_only_claims_closed_before_the_date(gateway):
    seed(gateway)
    cutoff = (NOW - timedelta(days=30)).date()
    dry = purge_closed_before(gateway.uow, cutoff, dry_run=True, now=NOW)
    assert sorted(c for _, c in dry.anonymised) == ["OLD-0001", "OLD-0002"]
    assert debtor_row(gateway, "OLD-0001").last_name == "Müller-Lüdenscheidt"  # dry run: unchanged

    report = purge_closed_before(gateway.uow, cutoff, now=NOW)
    assert sorted(c for _, c in report.anonymised) == ["OLD-0001", "OLD-0002"]
    for shop_claim_id in ("OLD-0001", "OLD-0002"):
        row = debtor_row(gateway, shop_claim_id)
        personal = {f: getattr(row, f) for f in PERSONAL}
        assert set(personal.values()) <= {None, ANONYMISED}
        assert row.note is None and row.anonymised_at is not None
        assert row.principal == Decimal("149.90")  # amounts stay for accounting
    assert debtor_row(gateway, "NEW-0003").last_name == "Müller-Lüdenscheidt"
    assert debtor_row(gateway, "OPEN-0004").last_name == "Müller-Lüdenscheidt"

    claim, events = uc.get_history(gateway.read_uow, "shop-a", "OLD-0001")
    assert claim.state is ClaimState.PAID
    assert [e.what for e in events][-1] == "debtor_anonymised"
    assert [e.what for e in events][:2] == ["received", "agency_accepted"]  # history stays

    again = purge_closed_before(gateway.uow, cutoff, now=NOW)
    assert again.anonymised == [] and again.already_anonymised == 2


def test_purge_cli_reports_and_refuses_future_dates(gateway, db_url):
    seed(gateway)
    env = {**os.environ, "GATEWAY_DATABASE_URL": db_url, "GATEWAY_LOG_FORMAT": "json"}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "gateway", "purge", *args],
                              capture_output=True, text=True, env=env, timeout=120)

    today = datetime.now(timezone.utc).date()
    dry = run("--closed-before", today.isoformat(), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would anonymise debtor data of 3 claim(s)" in dry.stdout
    assert "Müller" not in dry.stdout and "Weiß" not in dry.stdout
    done = run("--closed-before", today.isoformat())
    assert "anonymised debtor data of 3 claim(s)" in done.stdout
    future = run("--closed-before", (today + timedelta(days=1)).isoformat())
    assert future.returncode == 1 and "must not be in the future" in future.stderr
    bad = run("--closed-before", "yesterday")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert date.fromisoformat(today.isoformat())  # the CLI takes plain ISO dates
