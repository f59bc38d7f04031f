"""Builders for realistic claims in tests (German names with umlauts, persons and companies).

Dates: a test either hands the code under test a pinned now (NOW, or its own), and then
builds claims with content() (dated relative to NOW); or it drives code that reads the wall
clock (servers, workers, the sync, CLI processes), and then builds them with
content(today=wall_today()). Never a fixed date checked against the real calendar: the
suite runs with the clock moved years ahead too (see tests/moved_clock).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from gateway.domain.model import (ClaimContent, ClaimType, Debtor, DebtorKind, Salutation)

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


def wall_now() -> datetime:
    """Now as the gateway's default clock sees it, for tests of code that reads the wall clock."""
    return datetime.now(timezone.utc)


def wall_today() -> date:
    return wall_now().date()


def person(**changes) -> Debtor:
    debtor = Debtor(kind=DebtorKind.PERSON, salutation=Salutation.MS, first_name="Jürgen",
                    last_name="Müller-Lüdenscheidt", street="Große Straße", house_number="12a",
                    postcode="80331", city="München", country="DE", email="j.mueller@example.de",
                    phone="+49 89 1234567", date_of_birth=date(1980, 2, 29), customer_id="K-1001")
    return replace(debtor, **changes)


def company(**changes) -> Debtor:
    debtor = Debtor(kind=DebtorKind.COMPANY, company="Bäckerei Weiß", legal_form="GmbH",
                    care_of="Buchhaltung", street="Hauptstraße", house_number="5",
                    postcode="10115", city="Berlin", country="DE", email="buchhaltung@weiss.de")
    return replace(debtor, **changes)


def content(shop_claim_id: str = "INV-2026-0001", debtor: Debtor | None = None,
            today: date | None = None, **changes) -> ClaimContent:
    """A claim that arose 80 days before `today` (default NOW's day: 2026-09-01), due two
    weeks later, last reminded 31 days before `today`: in time, in default, not yet final."""
    today = today or NOW.date()
    origin = today - timedelta(days=80)
    base = ClaimContent(
        shop_claim_id=shop_claim_id, claim_type=ClaimType.GOODS_SOLD,
        reason="2 x Wanderschuhe Größe 44; 1 x Rucksack", principal=Decimal("149.90"),
        dunning_fees=Decimal("5.00"), date_of_origin=origin, due_date=origin + timedelta(days=14),
        date_of_last_reminder=today - timedelta(days=31), note="Kunde reagiert nicht auf Mahnungen",
        counter_performance_rendered=True, debtor=debtor or person())
    return replace(base, **changes)
