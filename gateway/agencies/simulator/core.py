"""The simulated agency's business: claims, file numbers, statuses over simulated time,
payments and payouts, the changes feed. No SOAP here (soap_service.py wraps it) and
no I/O: every method is thread-safe behind one lock and fast, so the simulator's
throughput is the WSGI server's.

Time: the agency lives on a simulated clock that runs `speed` simulated days per
real second from a given start or the real moment of start (speed 0 = frozen; tests
move it with advance(); reset() puts it back). Each claim's future is drawn from a RNG
seeded by (seed, file number), so one seed gives the same story for the same claims
whatever the call order.
"""
from __future__ import annotations

import heapq
import itertools
import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Callable, Iterable, Mapping

from gateway.domain.countries import ISO_COUNTRIES
from gateway.domain.model import ClaimContent, DebtorKind
from gateway.domain.money import CENT, ZERO
from gateway.service.agency_port import CourtDunningAmounts
from mappings.mediafinanz import codes as status_codes
from mappings.mediafinanz.contract import (FAULT_AUTH, FAULT_NOT_ALLOWED, FAULT_UNKNOWN_FILE,
                                          FILE_NUMBER_DIGITS, licence_key)

DEFAULT_APPLICATION_KEY = "inkasso-gateway-dev-application-key"
DEFAULT_CLIENTS: Mapping[int, str] = {1001: "dev-client-key-1001"}
# The zero-config sandbox gives every shop a client of its own from this range; the
# simulator accepts any of them with its derived key (sandbox_client_key).
SANDBOX_CLIENT_IDS = range(100001, 1000000)


def sandbox_client_key(client_id: int) -> str:
    return f"sandbox-client-key-{int(client_id)}"
DEFAULT_BATCH_SIZE = 100

# Codes after which nothing moves any more.
FINAL_CODES = frozenset({10209, 10210, 10213, 10214, 10219, 10221, 10224, 10225, 10228,
                         10232, 10233, 11316})
COURT_CODES = frozenset(range(11301, 11317))
_GERMAN_POSTCODE = re.compile(r"^[0-9]{5}$")


class SimError(Exception):
    """A refusal the SOAP layer turns into a Client fault; code is a contract FAULT_* name."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class AuthError(SimError):
    pass


class SimClock:
    """The agency's calendar: from `start` (default: the real moment of start or reset) it
    runs `speed` simulated days per real second, plus whatever advance() added.

    A fixed start gives tests a calendar that does not move with the real date; reset()
    goes back to the start (or to the real now), forgetting every advance().
    """

    def __init__(self, speed: float, start: datetime | None = None):
        if start is not None and start.tzinfo is None:
            raise ValueError("the simulator's start must be an aware datetime")
        self.speed = speed
        self._fixed_start = start
        self.reset()

    def reset(self) -> None:
        self._start = (self._fixed_start or datetime.now(timezone.utc)).replace(microsecond=0)
        self._t0 = time.monotonic()
        self._offset = timedelta()

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._t0) * self.speed
        return self._start + timedelta(days=elapsed) + self._offset

    def advance(self, days: float) -> None:
        self._offset += timedelta(days=days)


@dataclass
class SimClaim:
    file_number: str
    client_id: int
    content: ClaimContent
    created: datetime
    code: int = 10201
    details: str | None = None
    total: Decimal = ZERO
    paid: Decimal = ZERO
    current_payout: Decimal = ZERO
    payouts: list[tuple[date, Decimal, str]] = field(default_factory=list)
    journal: list[tuple[datetime, str, str | None]] = field(default_factory=list)
    generation: int = 0  # bumped when the planned future is thrown away
    instruction: int | None = None
    # What the lawyer hand-over listed apart (principal, interest, fees), as received.
    court_amounts: CourtDunningAmounts | None = None
    status_at: datetime | None = None  # when the current code was set

    @property
    def outstanding(self) -> Decimal:
        return max(self.total - self.paid, ZERO)

    @property
    def final(self) -> bool:
        return self.code in FINAL_CODES

    @property
    def in_court(self) -> bool:
        return self.code in COURT_CODES


@dataclass(frozen=True)
class Step:
    """One planned event: after `days`, the code (None: payout only), a payment share."""

    days: float
    code: int | None
    pay: str | None = None  # "all" | "part:<n>" of the outstanding amount | None
    details: str | None = None  # "{date}" is filled in with the event's date
    payout: bool = False


@dataclass
class _Batch:
    transaction_id: str
    changes: list[dict]


def _collection_plan(rng: random.Random) -> list[Step]:
    """The out-of-court story of a new claim."""
    steps = [Step(1, 10203)]
    roll = rng.random()
    if roll < 0.35:  # pays after the first letter
        steps += [Step(rng.randint(5, 20), 10209, pay="all"), Step(7, None, payout=True)]
    elif roll < 0.55:  # instalments
        n = rng.randint(2, 4)
        steps.append(Step(rng.randint(5, 15), 10207))
        for i in range(n - 1):
            steps += [Step(30, 10208, pay=f"part:{n - i}"), Step(7, None, payout=True)]
        steps += [Step(23, 10209, pay="all"), Step(7, None, payout=True)]
    elif roll < 0.65:  # pays part, then nothing
        steps += [Step(rng.randint(5, 20), 10208, pay="part:3"), Step(7, None, payout=True),
                  Step(30, 10204), Step(30, 10227)]
    elif roll < 0.85:  # does not pay
        steps += [Step(14, 10204), Step(7, 10205), Step(rng.randint(20, 40), 10227)]
    elif roll < 0.92:
        steps += [Step(10, 10206), Step(30, 10215)]
    elif roll < 0.96:
        steps += [Step(rng.randint(5, 20), 10212)]
    else:
        steps += [Step(rng.randint(10, 60), 10214)]
    return steps


def _check_court_amounts(c: SimClaim, amounts: CourtDunningAmounts) -> None:
    """An agency's check of the lawyer hand-over's amounts against its file."""
    problems = []
    if amounts.principal != c.content.principal:
        problems.append("Hauptforderung weicht von der Akte ab")
    if min(amounts.dunning_fees, amounts.flat_fee) < ZERO:
        problems.append("Nebenforderungen dürfen nicht negativ sein")
    interest = amounts.interest
    if interest is not None and (interest.amount < ZERO or interest.end < interest.start
                                 or interest.start <= c.content.date_of_origin):
        problems.append("Zinsen: Zeitraum oder Betrag ungültig")
    if problems:
        raise SimError(FAULT_NOT_ALLOWED, "; ".join(problems))


def _court_plan(rng: random.Random, instruction: int) -> list[Step]:
    """The court story after instructLawyer (1: MB/VB only, 2: lawsuit on objection, 3: lawsuit)."""
    if instruction == 3:
        return [Step(0, 11301), Step(10, 11310), Step(rng.randint(60, 180), 11311,
                                                      details="Urteil vom {date}")]
    steps = [Step(0, 11301), Step(3, 11302), Step(rng.randint(7, 14), 11303,
                                                 details="Mahnbescheid erlassen am {date}")]
    if rng.random() < 0.1:
        steps.append(Step(10, 11305))
    steps.append(Step(rng.randint(5, 20), 11304, details="Zustellung am {date}"))
    if rng.random() < 0.25:
        steps.append(Step(rng.randint(3, 14), 11306, details="Widerspruch vom {date}"))
        if instruction == 2:
            steps += [Step(30, 11310), Step(rng.randint(60, 180), 11311,
                                            details="Urteil vom {date}")]
        else:
            steps += [Step(180, 11313, details="Verfahren ruht seit {date}")]
        return steps
    steps += [Step(15, 11307), Step(rng.randint(7, 20), 11308,
                                    details="Vollstreckungsbescheid erlassen am {date}"),
              Step(14, 11311, details="Vollstreckungsbescheid rechtskräftig am {date}")]
    if rng.random() < 0.3:
        steps += [Step(rng.randint(10, 60), 11316, pay="all"), Step(7, None, payout=True)]
    elif rng.random() < 0.3:
        steps.append(Step(90, 11315))
    return steps


class AgencySimulator:
    """The agency's state. Thread-safe; every public method takes the lock once."""

    def __init__(self, *, seed: int = 0, speed: float = 0.0,
                 application_key: str = DEFAULT_APPLICATION_KEY,
                 clients: Mapping[int, str] | None = None,
                 batch_size: int = DEFAULT_BATCH_SIZE,
                 clock: SimClock | None = None, sandbox_clients: bool = False):
        self.seed = seed
        self.clock = clock or SimClock(speed)
        self.batch_size = batch_size
        self._application_key = application_key
        self._keys = {int(cid): licence_key(application_key, key)
                      for cid, key in (clients or DEFAULT_CLIENTS).items()}
        self.sandbox_clients = sandbox_clients
        self._lock = threading.RLock()
        self.reset()

    # -- state ---------------------------------------------------------------
    def reset(self) -> None:
        """Forget every claim, change, batch and counter, and put the clock back to its start
        (between tests: what one test advanced must not age the next one's claims)."""
        with self._lock:
            self.clock.reset()
            self._claims: dict[str, SimClaim] = {}
            self._by_invoice: dict[tuple[int, str], str] = {}
            self._events: list[tuple[datetime, int, str, int, Step]] = []
            self._seq = itertools.count()
            self._feed: dict[int, list[dict]] = {}
            self._open_batch: dict[int, _Batch] = {}
            self._committed: set[str] = set()
            self._payout_numbers = itertools.count(1)
            self._tx_numbers = itertools.count(1)
            self._numbers = random.Random(f"{self.seed}:file-numbers")
            self.duplicates = 0
            self.rejected = 0

    def authenticate(self, client_id: int, key: str) -> None:
        expected = self._keys.get(int(client_id))
        if expected is None and self.sandbox_clients and int(client_id) in SANDBOX_CLIENT_IDS:
            expected = licence_key(self._application_key, sandbox_client_key(client_id))
        if expected is None or not isinstance(key, str) or key.lower() != expected:
            raise AuthError(FAULT_AUTH, "Authentifizierung fehlgeschlagen")

    # -- operations ------------------------------------------------------------
    def new_claim(self, client_id: int, content: ClaimContent,
                  reference: str | None = None) -> tuple[str | None, list[str]]:
        """(file number, []) or (None, errors). A known invoice answers its existing number.

        The duplicate check is on `reference` when given (the REST API's
        ClientCustomerRefNo), else on the invoice (the shop's claim id), per client.
        """
        number, errors, _ = self.submit(client_id, content, reference)
        return number, errors

    def submit(self, client_id: int, content: ClaimContent,
               reference: str | None = None) -> tuple[str | None, list[str], bool]:
        """new_claim, also saying whether this call created the claim (False: a duplicate
        or refused)."""
        key = reference if reference is not None else content.shop_claim_id
        with self._lock:
            self._advance()
            known = self._by_invoice.get((client_id, key))
            if known is not None:
                self.duplicates += 1
                return known, [], False
            errors = self.check(content)
            if errors:
                self.rejected += 1
                return None, errors, False
            now = self.clock.now()
            number = self._new_file_number()
            claim = SimClaim(number, client_id, content, now,
                             total=content.principal + content.dunning_fees)
            self._claims[number] = claim
            self._by_invoice[(client_id, key)] = number
            self._set_code(claim, 10201, None, now)
            rng = random.Random(f"{self.seed}:{number}")
            self._plan(claim, _collection_plan(rng), now)
            return number, [], True

    def check(self, content: ClaimContent) -> list[str]:
        """The agency's own acceptance rules; messages as its clerks would write them."""
        today = self.clock.now().date()
        debtor = content.debtor
        errors = []
        if debtor.kind is DebtorKind.PERSON and not debtor.last_name:
            errors.append("Nachname des Schuldners fehlt")
        if debtor.kind is DebtorKind.COMPANY and not debtor.company:
            errors.append("Firmenname des Schuldners fehlt")
        if not debtor.street:
            errors.append("Straße des Schuldners fehlt")
        if not debtor.city:
            errors.append("Ort des Schuldners fehlt")
        if debtor.country not in ISO_COUNTRIES:
            errors.append(f"Unbekanntes Land: {debtor.country or '(leer)'}")
        if not debtor.postcode:
            errors.append("Postleitzahl des Schuldners fehlt")
        elif debtor.country == "DE" and not _GERMAN_POSTCODE.match(debtor.postcode):
            errors.append(f"Ungültige Postleitzahl: {debtor.postcode}")
        if content.principal <= ZERO:
            errors.append("Hauptforderung muss größer als 0 sein")
        if content.dunning_fees < ZERO:
            errors.append("Mahngebühren dürfen nicht negativ sein")
        if content.date_of_origin is None:
            errors.append("Entstehungsdatum fehlt")
        elif content.date_of_origin > today:
            errors.append("Entstehungsdatum liegt in der Zukunft")
        if content.date_of_last_reminder and content.date_of_last_reminder > today:
            errors.append("Datum der letzten Mahnung liegt in der Zukunft")
        if debtor.date_of_birth and debtor.date_of_birth >= today:
            errors.append("Geburtsdatum liegt in der Zukunft")
        if not content.reason.strip():
            errors.append("Forderungsgrund fehlt")
        # Rules only the agency can apply: what its own registers say, and the law's
        # limitation period (the gateway's court dunning preflight knows it too, but
        # accepting a claim for collection is the agency's call).
        if content.date_of_origin and today > date(content.date_of_origin.year + 3, 12, 31):
            errors.append(f"Forderung verjährt seit {content.date_of_origin.year + 3}-12-31")
        if _in_insolvency_register(debtor):
            errors.append("Schuldner befindet sich im Insolvenzverfahren: Forderung bitte beim "
                          "Insolvenzverwalter anmelden")
        return errors

    def status(self, client_id: int, file_number: str) -> tuple[int, str | None, str | None]:
        with self._lock:
            self._advance()
            claim = self._claim(client_id, file_number)
            return claim.code, self._text(claim.code), claim.details

    def status_record(self, client_id: int,
                      file_number: str) -> tuple[int, str | None, str | None, datetime | None]:
        """status() and when the code was set (the REST front answers it as StatusDate)."""
        with self._lock:
            self._advance()
            claim = self._claim(client_id, file_number)
            return claim.code, self._text(claim.code), claim.details, claim.status_at

    def status_changes(self, client_id: int) -> tuple[str | None, list[dict]]:
        """The open batch again if it was not committed, else the next one (at most batch_size)."""
        with self._lock:
            self._advance()
            batch = self._open_batch.get(client_id)
            if batch is None:
                feed = self._feed.get(client_id, [])
                if not feed:
                    return None, []
                taken, self._feed[client_id] = feed[: self.batch_size], feed[self.batch_size:]
                batch = _Batch(f"T{self.seed:04d}{next(self._tx_numbers):010d}", taken)
                self._open_batch[client_id] = batch
            return batch.transaction_id, list(batch.changes)

    def commit(self, client_id: int, transaction_id: str) -> bool:
        """True when the batch is (now or already) committed; False for an unknown id."""
        with self._lock:
            batch = self._open_batch.get(client_id)
            if batch is not None and batch.transaction_id == transaction_id:
                del self._open_batch[client_id]
                self._committed.add(transaction_id)
                return True
            return transaction_id in self._committed

    def history(self, client_id: int, file_number: str) -> list[tuple[datetime, str, str | None]]:
        with self._lock:
            self._advance()
            return list(self._claim(client_id, file_number).journal)

    def accounting(self, client_id: int, file_number: str) -> dict:
        with self._lock:
            self._advance()
            c = self._claim(client_id, file_number)
            return {
                "totalDebts": c.total, "paid": c.paid, "outstanding": c.outstanding,
                "currentPayout": c.current_payout,
                "sumPayout": sum((p[1] for p in c.payouts), ZERO),
                "payoutHistory": [{"date": d, "total": t, "payoutNumber": n}
                                  for d, t, n in c.payouts],
            }

    def options(self, client_id: int, file_number: str) -> dict:
        with self._lock:
            self._advance()
            c = self._claim(client_id, file_number)
            open_ = not c.final
            return {"close": open_, "lawyer": open_ and not c.in_court,
                    "factoring": open_ and not c.in_court and c.paid == ZERO,
                    "longTermObservation": c.code in (10215, 10216, 10227, 11315),
                    "addressIdentification": c.code in (10206, 10215, 11305)}

    def close(self, client_id: int, file_number: str) -> None:
        with self._lock:
            self._advance()
            c = self._claim(client_id, file_number)
            if c.final:
                raise SimError(FAULT_NOT_ALLOWED, "Akte ist bereits abgeschlossen")
            c.generation += 1
            self._set_code(c, 10210, None, self.clock.now())

    def direct_payment(self, client_id: int, file_number: str, paid_on: date,
                       amount: Decimal) -> None:
        with self._lock:
            self._advance()
            c = self._claim(client_id, file_number)
            if c.final:
                raise SimError(FAULT_NOT_ALLOWED, "Akte ist bereits abgeschlossen")
            if amount <= ZERO:
                raise SimError(FAULT_NOT_ALLOWED, "Zahlbetrag muss größer als 0 sein")
            now = self.clock.now()
            c.paid += amount
            details = f"Direktzahlung {amount:f} EUR vom {paid_on.isoformat()}"
            if c.outstanding == ZERO:
                c.generation += 1
                self._set_code(c, 10219, details, now)
            else:
                self._set_code(c, 10218, details, now)

    def instruct_lawyer(self, client_id: int, file_number: str, instruction: int,
                        amounts: CourtDunningAmounts | None = None) -> None:
        """amounts: what the application is to list apart; the agency checks them against
        its file (the principal it holds, nothing negative, interest not before the claim)."""
        with self._lock:
            self._advance()
            c = self._claim(client_id, file_number)
            if c.final or c.in_court:
                raise SimError(FAULT_NOT_ALLOWED,
                               "Übergabe an den Anwalt in diesem Status nicht möglich")
            if amounts is not None:
                _check_court_amounts(c, amounts)
            c.generation += 1
            c.instruction = instruction
            c.court_amounts = amounts
            rng = random.Random(f"{self.seed}:{file_number}:court")
            self._plan(c, _court_plan(rng, instruction), self.clock.now())
            self._advance()

    def payouts(self, client_id: int) -> list[dict]:
        with self._lock:
            self._advance()
            return sorted(({"date": d, "total": t, "payoutNumber": n}
                           for c in self._claims.values() if c.client_id == client_id
                           for d, t, n in c.payouts),
                          key=lambda p: (p["date"], p["payoutNumber"]))

    # -- for tests and the /_sim endpoints -----------------------------------------
    def force_status(self, file_number: str, code: int, details: str | None = None,
                     text: str | None = None) -> None:
        """Put any code (also one the table does not know) on a claim, as a feed change."""
        with self._lock:
            c = self._claims[file_number]
            c.generation += 1  # a forced status replaces the planned story
            self._set_code(c, int(code), details, self.clock.now(), text=text)

    def advance(self, days: float) -> None:
        with self._lock:
            self.clock.advance(days)
            self._advance()

    def court_amounts(self, file_number: str) -> CourtDunningAmounts | None:
        """What the lawyer hand-over of the claim listed apart (None: not handed over, or
        without amounts)."""
        with self._lock:
            return self._claims[file_number].court_amounts

    def claims(self) -> dict[str, str]:
        """invoice (or REST reference) -> file number (of all clients; the client id is not
        part of it)."""
        with self._lock:
            return {inv: num for (_, inv), num in self._by_invoice.items()}

    def claim(self, file_number: str) -> SimClaim:
        with self._lock:
            return self._claims[file_number]

    def counts(self) -> dict:
        with self._lock:
            return {"claims": len(self._claims), "duplicates": self.duplicates,
                    "rejected": self.rejected, "now": self.clock.now().isoformat()}

    # -- internals -------------------------------------------------------------
    def _claim(self, client_id: int, file_number: str) -> SimClaim:
        claim = self._claims.get(str(file_number))
        # Another client's file is as unknown as a number never given out.
        if claim is None or claim.client_id != client_id:
            raise SimError(FAULT_UNKNOWN_FILE, f"Unbekanntes Aktenzeichen {file_number}")
        return claim

    def _new_file_number(self) -> str:
        while True:
            number = str(self._numbers.randrange(10 ** (FILE_NUMBER_DIGITS - 1),
                                                 10 ** FILE_NUMBER_DIGITS))
            if number not in self._claims:
                return number

    @staticmethod
    def _text(code: int) -> str | None:
        return status_codes.text_for(code) or "Unbekannter Status"

    def _plan(self, claim: SimClaim, steps: Iterable[Step], start: datetime) -> None:
        at = start
        for step in steps:
            at = at + timedelta(days=step.days)
            heapq.heappush(self._events, (at, next(self._seq), claim.file_number,
                                          claim.generation, step))

    def _advance(self) -> None:
        now = self.clock.now()
        while self._events and self._events[0][0] <= now:
            at, _, number, generation, step = heapq.heappop(self._events)
            claim = self._claims.get(number)
            if claim is None or claim.generation != generation:
                continue  # the plan was replaced (closed, lawyer, forced status)
            self._apply(claim, step, at)

    def _apply(self, claim: SimClaim, step: Step, at: datetime) -> None:
        if step.pay:
            share = claim.outstanding
            if step.pay.startswith("part:"):
                share = (claim.outstanding / int(step.pay[5:])).quantize(CENT)
            claim.paid += share
            claim.current_payout += share
        if step.payout and claim.current_payout > ZERO:
            number = f"A{next(self._payout_numbers):09d}"
            claim.payouts.append((at.date(), claim.current_payout, number))
            claim.journal.append((at, "Auszahlung", f"{claim.current_payout:f} EUR, {number}"))
            claim.current_payout = ZERO
        if step.code is not None:
            details = step.details.format(date=at.date().isoformat()) if step.details else None
            self._set_code(claim, step.code, details, at)

    def _set_code(self, claim: SimClaim, code: int, details: str | None, at: datetime,
                  text: str | None = None) -> None:
        claim.code, claim.details, claim.status_at = code, details, at
        text = text or self._text(code)
        claim.journal.append((at, text, details))
        self._feed.setdefault(claim.client_id, []).append({
            "fileNumber": claim.file_number, "statusCode": code, "statusName": text,
            "statusDetails": details, "time": at})


_INSOLVENCY_MARKS = ("in insolvenz", "i.l.", "in liquidation")


def _in_insolvency_register(debtor) -> bool:
    """The simulated insolvency register: names that say so themselves."""
    names = " ".join(filter(None, (debtor.company, debtor.last_name, debtor.legal_form))).lower()
    return any(mark in names for mark in _INSOLVENCY_MARKS)


def emitted_codes() -> frozenset[int]:
    """Every code this simulator can put on a claim by itself (the status table must cover them)."""
    codes = {10201, 10210, 10218, 10219}
    rng_free: list[Callable[[random.Random], list[Step]]] = [
        _collection_plan, lambda r: _court_plan(r, 1), lambda r: _court_plan(r, 2),
        lambda r: _court_plan(r, 3)]
    for plan in rng_free:
        for seed in range(400):
            codes.update(s.code for s in plan(random.Random(seed)) if s.code is not None)
    return frozenset(codes)
