"""Builders for realistic claims in tests (German names with umlauts, persons and companies)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

from gateway.domain.model import (ClaimContent, ClaimType, Debtor, DebtorKind, Salutation)

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc)


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
            **changes) -> ClaimContent:
    base = ClaimContent(
        shop_claim_id=shop_claim_id, claim_type=ClaimType.GOODS_SOLD,
        reason="2 x Wanderschuhe Größe 44; 1 x Rucksack", principal=Decimal("149.90"),
        dunning_fees=Decimal("5.00"), date_of_origin=date(2026, 9, 1), due_date=date(2026, 9, 15),
        date_of_last_reminder=date(2026, 10, 20), note="Kunde reagiert nicht auf Mahnungen",
        counter_performance_rendered=True, debtor=debtor or person())
    return replace(base, **changes)
