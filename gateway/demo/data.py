"""Realistic demo claims as a shop backend would send them (SOAP field names).

Seeded, so every run tells the same story. Most claims are valid; a few break
the gateway's own validation (the shop gets a ValidationError naming the
field) and a few pass it but are refused by the agency (time-barred, debtor in
insolvency), so every path a shop meets shows up.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

FIRST_NAMES = [("MS", "Jutta"), ("MR", "Jürgen"), ("MS", "Sabine"), ("MR", "Björn"),
               ("MS", "Käthe"), ("MR", "Jörg"), ("MS", "Ömür"), ("MR", "Lars"),
               ("MS", "Zoë"), ("MR", "Günther"), ("MS", "Annegret"), ("MR", "Süleyman")]
# (salutation, first name): salutation as the shop knows it
LAST_NAMES = ["Müller", "Schäfer", "Weiß", "Groß", "Köhler", "Jäger", "Böhm", "Krüger",
              "Schröder", "Hoffmann-Lüdecke", "Yılmaz", "Straßburger", "Özdemir", "Wagner"]
COMPANIES = [("Bäckerei Groß", "GmbH"), ("Möbelhaus Süd", "KG"), ("Grünwald Gartenbau", "e.K."),
             ("Schön & Söhne Elektrotechnik", "GmbH & Co. KG"), ("Pütz Logistik", "AG")]
ADDRESSES = [("Hauptstraße", "80331", "München"), ("Königsallee", "40212", "Düsseldorf"),
             ("Schloßstraße", "12163", "Berlin"), ("Große Bleichen", "20354", "Hamburg"),
             ("Bahnhofstraße", "49074", "Osnabrück"), ("Marktplatz", "01067", "Dresden"),
             ("Lindenstraße", "50674", "Köln"), ("Am Hügel", "45133", "Essen")]
GOODS = ["Wanderschuhe Größe 44", "Rucksack 30 l", "Kaffeevollautomat", "Gartenstühle (4 Stück)",
         "Winterjacke Gr. L", "Kinderfahrrad 20 Zoll", "Bürostuhl ergonomisch",
         "Espressotassen-Set", "Staubsauger beutellos", "Lederhandtasche"]


@dataclass(frozen=True)
class DemoClaim:
    shop_claim_id: str
    claim: dict[str, Any]
    expect: str  # "accepted" | "invalid" (gateway fault) | "agency_rejects"
    why: str = ""


def _debtor(rng: random.Random, company: bool) -> dict[str, Any]:
    street, postcode, city = rng.choice(ADDRESSES)
    debtor: dict[str, Any] = {
        "customerId": f"K-{rng.randint(10000, 99999)}", "street": street,
        "houseNumber": str(rng.randint(1, 120)), "postcode": postcode, "city": city,
        "country": "DE"}
    if company:
        name, form = rng.choice(COMPANIES)
        debtor.update(kind="COMPANY", salutation="UNKNOWN", company=name, legalForm=form,
                      careOf="Buchhaltung", email="buchhaltung@example.de")
    else:
        salutation, first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        debtor.update(kind="PERSON", salutation=salutation, firstName=first, lastName=last,
                      email=f"{first[0].lower()}.kunde{rng.randint(1, 999)}@example.de",
                      phone=f"+49 {rng.randint(30, 89)} {rng.randint(100000, 9999999)}",
                      dateOfBirth=date(rng.randint(1950, 2000), rng.randint(1, 12),
                                       rng.randint(1, 28)))
    return debtor


def _claim(rng: random.Random, number: int, today: date, company: bool) -> dict[str, Any]:
    origin = today - timedelta(days=rng.randint(40, 200))
    items = rng.sample(GOODS, rng.randint(1, 3))
    principal = Decimal(rng.randint(1990, 189900)).scaleb(-2)
    claim_type = "SERVICE" if rng.random() < 0.15 else "GOODS_SOLD"
    return {
        "shopClaimId": f"RE-{today.year}-{number:05d}", "claimType": claim_type,
        "reason": "; ".join(f"{rng.randint(1, 3)} x {g}" for g in items),
        "principal": principal, "dunningFees": Decimal("5.00"), "currency": "EUR",
        "dateOfOrigin": origin, "dueDate": origin + timedelta(days=14),
        "dateOfLastReminder": origin + timedelta(days=rng.randint(21, 35)),
        "note": "Zwei Mahnungen ohne Reaktion", "counterPerformanceRendered": True,
        "debtor": _debtor(rng, company),
    }


def demo_claims(today: date, count: int = 30, seed: int = 7) -> list[DemoClaim]:
    rng = random.Random(seed)
    claims = [DemoClaim(f"RE-{today.year}-{n:05d}", _claim(rng, n, today, rng.random() < 0.25),
                        "accepted") for n in range(1, count + 1)]
    # The gateway refuses these itself, naming the field:
    bad_postcode = _claim(rng, count + 1, today, False)
    bad_postcode["debtor"]["postcode"] = "8033"
    no_company = _claim(rng, count + 2, today, True)
    no_company["debtor"]["company"] = None
    future = _claim(rng, count + 3, today, False)
    future["dateOfOrigin"] = today + timedelta(days=10)
    future["dateOfLastReminder"] = None
    # ...and the agency refuses these, though the gateway has nothing against them:
    barred = _claim(rng, count + 4, today, False)
    barred["dateOfOrigin"] = date(today.year - 4, 3, 15)
    barred["dueDate"] = date(today.year - 4, 3, 29)
    barred["dateOfLastReminder"] = date(today.year - 4, 5, 2)
    insolvent = _claim(rng, count + 5, today, True)
    insolvent["debtor"]["company"] = "Hansa Versand in Insolvenz"
    extra = [
        DemoClaim(bad_postcode["shopClaimId"], bad_postcode, "invalid", "claim.debtor.postcode"),
        DemoClaim(no_company["shopClaimId"], no_company, "invalid", "claim.debtor.company"),
        DemoClaim(future["shopClaimId"], future, "invalid", "claim.dateOfOrigin"),
        DemoClaim(barred["shopClaimId"], barred, "agency_rejects", "Forderung verjährt"),
        DemoClaim(insolvent["shopClaimId"], insolvent, "agency_rejects", "Insolvenzverfahren"),
    ]
    merged = claims + extra
    rng.shuffle(merged)
    return merged
