"""German labels and number formats of the console (its users are German accounting clerks).

Codes and states keep their stable names in the data; only what a person reads is German.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from gateway.domain.court_dunning import Finding, Preflight
from gateway.domain.lifecycle import ClaimState
from gateway.domain.model import Claim, CourtDunningInstruction
from gateway.domain.money import CENT

BERLIN = ZoneInfo("Europe/Berlin")

# By the states' names: a state added to the lifecycle later shows its name until it has a
# label here.
STATE_LABELS = {
    "RECEIVED": "Eingegangen",
    "WAITING_FOR_DEFAULT": "Wartet auf Verzug",
    "SUBMITTED": "An Agentur übergeben",
    "REJECTED": "Von Agentur abgelehnt",
    "IN_COLLECTION": "Im Inkasso",
    "INSTALMENT_PLAN": "Ratenzahlung",
    "PARTIALLY_PAID": "Teilweise bezahlt",
    "PAID": "Bezahlt",
    "UNCOLLECTIBLE": "Uneinbringlich",
    "CLOSED_BY_AGENCY": "Von Agentur geschlossen",
    "CANCEL_REQUESTED": "Storno beantragt",
    "CANCELLED": "Storniert",
    "COURT_DUNNING_REQUESTED": "Mahnbescheid beantragt",
    "DUNNING_ORDER_ISSUED": "Mahnbescheid erlassen",
    "DUNNING_ORDER_SERVED": "Mahnbescheid zugestellt",
    "OBJECTION_RAISED": "Widerspruch eingelegt",
    "ENFORCEMENT_ORDER_REQUESTED": "Vollstreckungsbescheid beantragt",
    "ENFORCEMENT_ORDER_ISSUED": "Vollstreckungsbescheid erlassen",
    "TITLE_OBTAINED": "Titel erwirkt",
    "NEEDS_REVIEW": "Prüfung nötig",
}

INSTRUCTION_LABELS = {
    CourtDunningInstruction.DUNNING_ONLY:
        "Nur Mahnverfahren (Mahnbescheid, dann Vollstreckungsbescheid)",
    CourtDunningInstruction.DUNNING_THEN_LAWSUIT:
        "Mahnverfahren, bei Widerspruch streitiges Verfahren (Klage)",
}

CLAIM_TYPE_LABELS = {"GOODS_SOLD": "Warenlieferung", "GOODS_PREPAID": "Vorkasse-Ware",
                     "SERVICE": "Dienstleistung"}

MESSAGE_KIND_LABELS = {"SUBMIT_CLAIM": "Übergabe der Forderung",
                       "CANCEL_CLAIM": "Storno",
                       "REPORT_DIRECT_PAYMENT": "Direktzahlung melden",
                       "HAND_OVER_TO_LAWYER": "Abgabe an Anwalt (Mahnbescheid)"}

DELIVERY_STATE_LABELS = {"pending": "Wartend", "done": "Zugestellt", "failed": "Fehlgeschlagen",
                         "dead": "Aufgegeben"}

EVENT_LABELS = {
    "received": "Eingegangen", "agency_accepted": "Von Agentur angenommen",
    "agency_rejected": "Von Agentur abgelehnt", "cancel_requested": "Storno beantragt",
    "direct_payment_reported": "Direktzahlung gemeldet",
    "court_dunning_requested": "Mahnbescheid beantragt", "agency_status": "Status der Agentur",
    "debtor_anonymised": "Schuldnerdaten anonymisiert",
    "review_resolved": "Prüfung abgeschlossen", "waiting_for_default": "Wartet auf Verzug",
    "cancelled_before_handover": "Vor der Übergabe storniert",
}

AUDIT_LABELS = {
    "login": "Anmeldung", "logout": "Abmeldung", "login_failed": "Anmeldung fehlgeschlagen",
    "login_refused": "Anmeldung gesperrt", "session_expired": "Sitzung abgelaufen",
    "csrf_refused": "Formular ohne gültiges Token abgewiesen",
    "court_dunning_requested": "Mahnbescheid beantragt",
    "court_dunning_refused": "Mahnbescheid abgelehnt",
    "delivery_retried": "Zustellung wiederholt", "review_resolved": "Prüfung abgeschlossen",
    "review_refused": "Prüfung nicht abgeschlossen", "csv_export": "CSV-Export",
    "staff_added": "Mitarbeiter angelegt", "staff_changed": "Mitarbeiter geändert",
    "staff_removed": "Mitarbeiter entfernt", "staff_unlocked": "Mitarbeiter entsperrt",
}


def finding_text(finding: Finding, preflight: Preflight, claim: Claim) -> str:
    """A refusal reason or warning of the preflight in German, with its facts; a code this
    console does not know yet keeps the domain's own sentence."""
    facts = dict(finding.facts)
    limitation = german_date(preflight.limitation_ends_on)
    last_day = preflight.last_filing_day
    filing = (f"; letzter Tag für den Antrag ist der {german_date(last_day.moved_to)} "
              f"({last_day.rule})" if last_day.moved else "")
    texts = {
        "NO_FILE_NUMBER": "Die Agentur hat die Forderung noch nicht angenommen: es gibt kein "
                          "Aktenzeichen.",
        "CLOSED": f"Die Forderung ist abgeschlossen ({state_label(claim.state)}).",
        "CANCEL_REQUESTED": "Der Shop hat die Forderung storniert.",
        "ALREADY_IN_COURT_DUNNING": "Die Forderung ist bereits im gerichtlichen Verfahren "
                                    f"({state_label(claim.state)}).",
        "PRINCIPAL_NOT_POSITIVE_EUR": "Das Mahnverfahren braucht eine bezifferte, positive "
                                      "Hauptforderung in EUR (§ 688 Abs. 1 ZPO).",
        "COUNTER_PERFORMANCE_MISSING": "Die Ware ist noch nicht geliefert oder die Leistung "
                                       "nicht erbracht (§ 688 Abs. 2 Nr. 2 ZPO).",
        "ADDRESS_INCOMPLETE": "Die Anschrift des Schuldners ist unvollständig; das Gericht "
                              "kann nicht zustellen (§ 688 Abs. 2 Nr. 3 ZPO).",
        "DEBTOR_ABROAD": f"Der Schuldner wohnt im Ausland "
                         f"({(claim.debtor.country or '').strip().upper()}): das geht nur von "
                         "Hand mit Auslandszustellung (§ 688 Abs. 3, § 703d ZPO).",
        "TIME_BARRED": f"Die Forderung ist verjährt: die Verjährung endete am {limitation} "
                       f"(§§ 195, 199 BGB){filing}.",
        "LIMITATION_SOON": f"Die Verjährung endet am {limitation}{filing}: den Antrag jetzt "
                           "stellen.",
        "CONSUMER_CREDIT_RATE_TOO_HIGH":
            f"Verbraucherkredit: der effektive Jahreszins ({facts.get('effectiveAnnualRate')} %)"
            f" liegt mehr als 12 Prozentpunkte über dem Basiszinssatz am Vertragsdatum "
            f"({facts.get('baseRate')} %): kein Mahnverfahren (§ 688 Abs. 2 Nr. 1 ZPO).",
        "CONSUMER_CREDIT_RATE_UNCHECKED":
            "Verbraucherkredit mit einem Vertragsdatum vor der Basiszinstabelle: bitte von Hand "
            "prüfen, ob der Jahreszins den Basiszinssatz um mehr als 12 Prozentpunkte "
            "übersteigt (§ 688 Abs. 2 Nr. 1 ZPO).",
    }
    return texts.get(finding.code.value, finding.message)


def instruction_label(value: str) -> str:
    found = CourtDunningInstruction.__members__.get(value)
    return INSTRUCTION_LABELS[found] if found else value


def state_label(state: ClaimState | str | None) -> str:
    if state is None:
        return "–"
    name = state.value if isinstance(state, ClaimState) else str(state)
    return STATE_LABELS.get(name, name)


def state_options() -> list[tuple[str, str]]:
    """(name, label) of every state of the lifecycle, for a filter."""
    return [(s.value, state_label(s)) for s in ClaimState]


def money(amount: Decimal | None) -> str:
    """1234.5 -> '1.234,50 €'."""
    if amount is None:
        return "–"
    text = f"{Decimal(amount).quantize(CENT):,.2f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".") + " €"


def german_date(value: date | datetime | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        value = value.astimezone(BERLIN).date()
    return value.strftime("%d.%m.%Y")


def german_datetime(value: datetime | None) -> str:
    if value is None:
        return "–"
    return value.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")


def debtor_name(row) -> str:
    """The debtor's name from a row or Debtor with kind, company, first and last name."""
    if getattr(row, "kind", None) == "COMPANY":  # a row's text or DebtorKind (a str Enum)
        return " ".join(filter(None, [row.company, row.legal_form]))
    return " ".join(filter(None, [row.first_name, row.last_name]))
