"""Rows <-> domain objects. One class per aggregate; queries stay here."""
from __future__ import annotations

import time
import weakref
from datetime import date
from decimal import Decimal
from typing import Any, Iterator

from sqlalchemy import (Boolean, and_, bindparam, case, func, insert, literal_column, null, select,
                        update)
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import IntegrityError

from gateway.domain.fingerprint import content_fingerprint
from gateway.domain.handover import HandoverMode, HandoverPolicy
from gateway.domain.lifecycle import CLOSED, ClaimState
from gateway.domain.model import (AccountingSummary, Actor, ActorKind, Claim, ClaimContent,
                                  ClaimEvent, ClaimType, ConsumerCredit, CourtDates, Debtor,
                                  DebtorKind, MessageKind, Payout, Salutation)
from gateway.domain.agency import AgencyAccount, AgencyConnection
from gateway.domain.shop import Shop, ShopHandover
from gateway.service.agency_port import AgencyCredentials
from gateway.service.unit_of_work import ClaimChange, ConcurrentUpdate, DuplicateKey

from .tables import (agency_accounts, agency_connections, claim_events, claims,
                     court_dunning_requests, debtors, outbox, shops)

# Hot statements built once: SQLAlchemy then compiles and cache-keys them once,
# instead of on every submit.
_INSERT_CLAIM = insert(claims)
_INSERT_DEBTOR = insert(debtors)
_INSERT_EVENT = insert(claim_events)
_DEBTOR_FIELDS = ("customer_id", "first_name", "last_name", "company", "legal_form", "care_of",
                  "street", "house_number", "postcode", "city", "country", "email", "phone",
                  "mobile", "date_of_birth")

# Where a shop's new claims go (its account and reference prefix): read at most every few
# seconds per database and process, it costs SubmitClaim no statement. A shop moved to
# another account (`gateway shops set --account`, maybe in another process) sends the
# claims it submits from a few seconds later to the new account.
_HANDOVER_OF_SHOP = select(shops.c.agency_account, shops.c.agency_reference_prefix,
                           shops.c.handover_policy, shops.c.handover_days_after_due,
                           shops.c.handover_days_after_reminder) \
    .where(shops.c.id == bindparam("shop_id"))
HANDOVER_CACHE_S = 5  # seconds
_HANDOVERS: "weakref.WeakKeyDictionary[Engine, dict[str, tuple]]" = weakref.WeakKeyDictionary()


def _typed(prefix: str, column) -> Any:
    return bindparam(prefix + column.name, type_=column.type)


# PostgreSQL: a claim just received, its debtor, its first event and its first outbox
# message in ONE statement (one round trip instead of four); data-modifying CTEs, so not
# for SQLite. What every just-received claim has is written as SQL constants and shared
# values (shop, time, state) as one parameter each: at most 50 parameters, so psycopg
# caches the statement's conversion instead of re-parsing 3 kB of SQL on every submit.
_RECEIVED_CONSTANTS: dict[str, Any] = dict(
    agency_file_number=None, agency_status_code=None, agency_status_text=None,
    rejection_reasons=[], paid=0, current_payout=0, sum_payout=0, payouts=[],
    dunning_order_issued_on=None, dunning_order_served_on=None,
    enforcement_order_issued_on=None, procedure_stalled_on=None, closed_at=None,
    handover_ready_on=None)


def _sql_constant(value: Any) -> Any:
    return null() if value is None else literal_column("'[]'" if value == [] else str(value))


_SHOP, _AT, _STATE = (_typed("c_", claims.c.shop_id), _typed("c_", claims.c.updated_at),
                      _typed("c_", claims.c.state))
_NEW_CLAIM_CTE = insert(claims).values({
    **{c.name: _typed("c_", c) for c in claims.c
       if c.name not in _RECEIVED_CONSTANTS and c.name not in ("id", "version")},
    **{name: _sql_constant(value) for name, value in _RECEIVED_CONSTANTS.items()},
    "shop_id": _SHOP, "state": _STATE, "created_at": _AT, "updated_at": _AT,
    "version": literal_column("1")}).returning(claims.c.id).cte("new_claim")
_DEBTOR_PARAMS = [c for c in debtors.c if c.name not in ("claim_id", "anonymised_at")]
_NEW_DEBTOR_CTE = insert(debtors).from_select(
    ["claim_id", *[c.name for c in _DEBTOR_PARAMS], "anonymised_at"],
    select(_NEW_CLAIM_CTE.c.id, *[_typed("d_", c) for c in _DEBTOR_PARAMS], null())
).cte("new_debtor")
_NEW_EVENT_CTE = insert(claim_events).from_select(
    ["claim_id", "shop_id", "at", "state_before", "state_after", "actor_kind", "actor_id",
     "what", "details"],
    select(_NEW_CLAIM_CTE.c.id, _SHOP, _AT, null(), _STATE,
           *[_typed("e_", claim_events.c[n]) for n in ("actor_kind", "actor_id", "what",
                                                       "details")])
).cte("new_event")
_INSERT_RECEIVED_CLAIM = insert(outbox).from_select(
    ["claim_id", "shop_id", "state", "attempts", "available_at", "created_at", "updated_at",
     "kind", "payload"],
    select(_NEW_CLAIM_CTE.c.id, _SHOP, literal_column("'pending'"), literal_column("0"),
           _AT, _AT, _AT, _typed("o_", outbox.c.kind), _typed("o_", outbox.c.payload))
).returning(outbox.c.claim_id).add_cte(_NEW_DEBTOR_CTE).add_cte(_NEW_EVENT_CTE)

# Numbering a shop's new events (see SqlShopRepository.number_new_events).
_UNNUMBERED = (select(claim_events.c.id)
               .where(claim_events.c.shop_id == bindparam("shop_id"),
                      claim_events.c.shop_seq.is_(None))
               .order_by(claim_events.c.id).limit(bindparam("at_most")))
_LOCK_LAST_SEQ = (select(shops.c.last_event_seq).where(shops.c.id == bindparam("shop_id"))
                  .with_for_update())
_SET_SEQ = (update(claim_events).where(claim_events.c.id == bindparam("event_id"))
            .values(shop_seq=bindparam("seq")))
_SET_LAST_SEQ = (update(shops).where(shops.c.id == bindparam("shop_id"))
                 .values(last_event_seq=bindparam("last")))


class SqlShopRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, shop: Shop, password_hash: str) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(shops).values(
                    id=shop.id, password_hash=password_hash, agency_account=shop.agency_account,
                    agency_reference_prefix=shop.reference_prefix, seat=shop.seat,
                    catalogue_overrides=dict(shop.catalogue_overrides), last_event_seq=0,
                    created_at=shop.created_at, **_handover_columns(shop.handover)))
        except IntegrityError:
            raise DuplicateKey(f"shop {shop.id!r} or its reference prefix exists already") \
                from None

    def get(self, shop_id: str) -> Shop | None:
        row = self.conn.execute(select(shops).where(shops.c.id == shop_id)).first()
        return _shop(row) if row else None

    def list(self) -> list[Shop]:
        return [_shop(r) for r in self.conn.execute(select(shops).order_by(shops.c.id))]

    def password_hash(self, shop_id: str) -> str | None:
        return self.conn.execute(
            select(shops.c.password_hash).where(shops.c.id == shop_id)).scalar_one_or_none()

    def reference_prefixes(self) -> set[str]:
        return set(self.conn.execute(select(shops.c.agency_reference_prefix)
                                     .where(shops.c.agency_reference_prefix.is_not(None)))
                   .scalars())

    def on_account(self, account: str) -> list[str]:
        return list(self.conn.execute(select(shops.c.id).where(shops.c.agency_account == account)
                                      .order_by(shops.c.id)).scalars())

    def give_account_to_waiting_claims(self, shop_id: str, account: str) -> int:
        """The shop's claims that arrived while it had no account get `account`. Claims
        that have one keep it: a hand-over may be under way there."""
        return self.conn.execute(
            update(claims).where(claims.c.shop_id == shop_id,
                                 claims.c.agency_account.is_(None))
            .values(agency_account=account)).rowcount

    def update_settings(self, shop_id: str, **values: Any) -> None:
        self.conn.execute(update(shops).where(shops.c.id == shop_id).values(**values))
        _HANDOVERS.get(self.conn.engine, {}).pop(shop_id, None)  # other processes: the TTL

    def set_handover_policy(self, shop_id: str, policy: HandoverPolicy) -> None:
        """Claims submitted from now on follow the policy (waiting claims keep their day)."""
        self.update_settings(shop_id, **_handover_columns(policy))

    def number_new_events(self, shop_id: str, at_most: int) -> int:
        """Give the shop's committed, unnumbered events its next sequence numbers, oldest
        first (at most at_most of them); returns how many were numbered.

        Why here and not when an event is written: numbering at write time has to lock the
        shop row until COMMIT (else a later number could commit before an earlier one and a
        feed reader skip it), so a shop's writes queued behind each other's disk flush.
        Here only committed events are visible, and the shop row's lock orders the
        numberings, so the numbers a reader sees are always gap-free: 1..n, none added later
        below n. Free when there is nothing to number (no lock taken).
        """
        params = {"shop_id": shop_id, "at_most": at_most}
        if self.conn.execute(_UNNUMBERED, dict(params, at_most=1)).first() is None:
            return 0
        last = self.conn.execute(_LOCK_LAST_SEQ, params).scalar_one()
        # A new statement after the lock: under READ COMMITTED it sees the numbers an
        # earlier numbering of this shop committed while this one waited.
        ids = self.conn.execute(_UNNUMBERED, params).scalars().all()
        if not ids:
            return 0
        self.conn.execute(_SET_SEQ, [{"event_id": event_id, "seq": last + n}
                                     for n, event_id in enumerate(ids, 1)])
        self.conn.execute(_SET_LAST_SEQ, {"shop_id": shop_id, "last": last + len(ids)})
        return len(ids)

    def handover_of(self, shop_id: str) -> ShopHandover | None:
        """Account, reference prefix and hand-over policy of the shop's new claims; None for
        an unknown shop. Cached for HANDOVER_CACHE_S."""
        known = _HANDOVERS.setdefault(self.conn.engine, {})
        hit = known.get(shop_id)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        row = self.conn.execute(_HANDOVER_OF_SHOP, {"shop_id": shop_id}).first()
        if row is None:
            return None
        value = ShopHandover(row.agency_account, row.agency_reference_prefix, _handover(row))
        known[shop_id] = (now + HANDOVER_CACHE_S, value)
        return value


def _shop(row: Row) -> Shop:
    return Shop(id=row.id, agency_account=row.agency_account,
                reference_prefix=row.agency_reference_prefix, seat=row.seat,
                catalogue_overrides=dict(row.catalogue_overrides or {}),
                handover=_handover(row), created_at=row.created_at)


def _handover(row: Row) -> HandoverPolicy:
    return HandoverPolicy(HandoverMode(row.handover_policy), row.handover_days_after_due,
                          row.handover_days_after_reminder)


def _handover_columns(policy: HandoverPolicy) -> dict[str, Any]:
    """The shops columns of a hand-over policy (for add and update_settings)."""
    return dict(handover_policy=policy.mode.value, handover_days_after_due=policy.days_after_due,
                handover_days_after_reminder=policy.days_after_reminder)


class SqlAgencyRepository:
    """Agency connections and accounts (the account's key is read only as credentials)."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def add_connection(self, connection: AgencyConnection) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(agency_connections).values(
                    name=connection.name, kind=connection.kind,
                    endpoint_url=connection.endpoint_url, sandbox=connection.sandbox,
                    created_at=connection.created_at))
        except IntegrityError:
            raise DuplicateKey(f"connection {connection.name!r} exists already") from None

    def connection(self, name: str) -> AgencyConnection | None:
        row = self.conn.execute(select(agency_connections)
                                .where(agency_connections.c.name == name)).first()
        return _connection(row) if row else None

    def connections(self) -> list[AgencyConnection]:
        return [_connection(r) for r in self.conn.execute(
            select(agency_connections).order_by(agency_connections.c.name))]

    def update_connection(self, name: str, **values: Any) -> None:
        self.conn.execute(update(agency_connections)
                          .where(agency_connections.c.name == name).values(**values))

    def add_account(self, account: AgencyAccount, client_key: str | None) -> None:
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(agency_accounts).values(
                    name=account.name, connection=account.connection,
                    client_id=account.client_id, client_key=client_key,
                    user_name=account.user_name, created_at=account.created_at))
        except IntegrityError:
            raise DuplicateKey(f"account {account.name!r} (or client id {account.client_id!r} "
                               f"at {account.connection!r}) exists already") from None

    def account(self, name: str) -> AgencyAccount | None:
        row = self.conn.execute(select(agency_accounts)
                                .where(agency_accounts.c.name == name)).first()
        return _account(row) if row else None

    def account_for_client(self, connection: str, client_id: str) -> AgencyAccount | None:
        row = self.conn.execute(select(agency_accounts).where(
            agency_accounts.c.connection == connection,
            agency_accounts.c.client_id == client_id)).first()
        return _account(row) if row else None

    def accounts(self) -> list[AgencyAccount]:
        return [_account(r) for r in self.conn.execute(
            select(agency_accounts).order_by(agency_accounts.c.name))]

    def update_account(self, name: str, **values: Any) -> None:
        self.conn.execute(update(agency_accounts)
                          .where(agency_accounts.c.name == name).values(**values))

    def credentials(self, name: str) -> AgencyCredentials | None:
        """The account's credentials, with its connection's sandbox flag; None: no such account."""
        row = self.conn.execute(
            select(agency_accounts.c.client_id, agency_accounts.c.client_key,
                   agency_accounts.c.user_name, agency_connections.c.sandbox)
            .join(agency_connections, agency_connections.c.name == agency_accounts.c.connection)
            .where(agency_accounts.c.name == name)).first()
        if row is None:
            return None
        return AgencyCredentials(row.client_id, row.client_key or "", row.sandbox,
                                 user=row.user_name)


def _connection(row: Row) -> AgencyConnection:
    return AgencyConnection(name=row.name, kind=row.kind, endpoint_url=row.endpoint_url,
                            sandbox=row.sandbox, created_at=row.created_at)


def _account(row: Row) -> AgencyAccount:
    return AgencyAccount(name=row.name, connection=row.connection, client_id=row.client_id,
                         user_name=row.user_name, created_at=row.created_at)


# A batch of claims by id in one query (the dispatcher records outcomes in batches).
_CLAIMS_BY_IDS = (select(claims, *[debtors.c[f] for f in _DEBTOR_FIELDS], debtors.c.kind,
                         debtors.c.salutation).join(debtors, debtors.c.claim_id == claims.c.id)
                  .where(claims.c.id.in_(bindparam("ids", expanding=True))))
_CLAIMS_BY_IDS_FOR_UPDATE = _CLAIMS_BY_IDS.with_for_update(of=claims)
# What an agency answer changes on a claim (state, file number, status, reasons), with
# the same version check and closed_at rule as update(); the other ~25 columns are
# left alone, which is only right when they are as loaded (update_many checks that).
_P_UPDATED_AT = bindparam("p_updated_at", type_=claims.c.updated_at.type)
_SAVE_PROGRESS = (
    update(claims)
    .where(claims.c.id == bindparam("p_id"), claims.c.version == bindparam("p_version"))
    .values(state=bindparam("p_state", type_=claims.c.state.type),
            agency_file_number=bindparam("p_file_number", type_=claims.c.agency_file_number.type),
            agency_status_code=bindparam("p_status_code", type_=claims.c.agency_status_code.type),
            agency_status_text=bindparam("p_status_text", type_=claims.c.agency_status_text.type),
            rejection_reasons=bindparam("p_reasons", type_=claims.c.rejection_reasons.type),
            closed_at=case((bindparam("p_closed", type_=Boolean()),
                            func.coalesce(claims.c.closed_at, _P_UPDATED_AT)), else_=null()),
            updated_at=_P_UPDATED_AT, version=claims.c.version + 1))


class SqlClaimRepository:
    def __init__(self, conn: Connection, seen: list[Claim]):
        self.conn = conn
        self.seen = seen
        # The debtor object as loaded: the debtors row is rewritten only when it changed.
        self._loaded_debtors: dict[int, Debtor] = {}
        # Content, accounting and court dates as loaded by get_many/adopt (update_many).
        self._loaded_parts: dict[int, tuple] = {}

    # -- reads ----------------------------------------------------------------
    def get(self, shop_id: str, shop_claim_id: str, *, for_update: bool = False) -> Claim | None:
        return self._one(and_(claims.c.shop_id == shop_id, claims.c.shop_claim_id == shop_claim_id),
                         for_update)

    def get_by_id(self, claim_id: int, *, for_update: bool = False) -> Claim | None:
        return self._one(claims.c.id == claim_id, for_update)

    def get_by_file_number(self, account: str, file_number: str, *,
                           for_update: bool = False) -> Claim | None:
        return self._one(and_(claims.c.agency_account == account,
                              claims.c.agency_file_number == file_number), for_update)

    def withdraw_waiting_handover(self, claim_id: int, now) -> bool:
        """End the claim's hand-over row unsent, if no worker ever took it (never leased, no
        attempt): True when withdrawn. A row a worker took may have reached the agency, so it
        stays (False); the caller then cancels behind it. On PostgreSQL a lease being taken
        concurrently holds the row: this waits for it and then sees the attempt."""
        result = self.conn.execute(update(outbox).where(
            outbox.c.claim_id == claim_id, outbox.c.kind == MessageKind.SUBMIT_CLAIM.value,
            outbox.c.state == "pending", outbox.c.attempts == 0, outbox.c.leased_by.is_(None))
            .values(state="done", completed_at=now, updated_at=now,
                    last_error="never sent: withdrawn, the shop cancelled the claim before its "
                               "hand-over day"))
        return result.rowcount == 1

    def last_dunning_court(self, claim_id: int) -> str | None:
        """The dunning court named by the claim's latest court dunning request, if any."""
        preflight = self.conn.execute(
            select(court_dunning_requests.c.preflight)
            .where(court_dunning_requests.c.claim_id == claim_id)
            .order_by(court_dunning_requests.c.id.desc()).limit(1)).scalar_one_or_none()
        return (preflight or {}).get("court") if isinstance(preflight, dict) else None

    def fingerprint(self, claim_id: int) -> str:
        return self.conn.execute(
            select(claims.c.content_hash).where(claims.c.id == claim_id)).scalar_one()

    def events(self, claim_id: int) -> list[ClaimEvent]:
        rows = self.conn.execute(select(claim_events).where(claim_events.c.claim_id == claim_id)
                                 .order_by(claim_events.c.id))
        return [_event(r) for r in rows]

    def changes(self, shop_id: str, after_seq: int, limit: int) -> list[ClaimChange]:
        rows = self.conn.execute(
            select(claim_events, claims.c.shop_claim_id)
            .join(claims, claims.c.id == claim_events.c.claim_id)
            .where(claim_events.c.shop_id == shop_id, claim_events.c.shop_seq > after_seq)
            .order_by(claim_events.c.shop_seq).limit(limit))
        return [ClaimChange(r.shop_seq, r.shop_claim_id, _event(r)) for r in rows]

    def iter_ids(self, *, states: list[str] | None = None, shop_id: str | None = None,
                 after_id: int = 0, batch: int = 1000) -> Iterator[int]:
        """Claim ids in id order, fetched in keyset pages: never all in memory."""
        while True:
            query = select(claims.c.id).where(claims.c.id > after_id)
            if states:
                query = query.where(claims.c.state.in_(states))
            if shop_id:
                query = query.where(claims.c.shop_id == shop_id)
            ids = self.conn.execute(query.order_by(claims.c.id).limit(batch)).scalars().all()
            if not ids:
                return
            yield from ids
            after_id = ids[-1]

    def iter_closed_before(self, cutoff, closed_states: list[str]) -> Iterator[int]:
        query = select(claims.c.id).where(claims.c.closed_at < cutoff,
                                          claims.c.state.in_(closed_states)).order_by(claims.c.id)
        yield from self.conn.execute(query).scalars()

    def _one(self, where, for_update: bool) -> Claim | None:
        query = select(claims, *[debtors.c[f] for f in _DEBTOR_FIELDS], debtors.c.kind,
                       debtors.c.salutation).join(debtors, debtors.c.claim_id == claims.c.id) \
            .where(where)
        if for_update:
            query = query.with_for_update(of=claims)
        row = self.conn.execute(query).first()
        if row is None:
            return None
        claim = _claim(row)
        self.seen.append(claim)
        self._loaded_debtors[claim.id] = claim.debtor
        return claim

    # -- writes (called by the unit of work) ------------------------------------
    def add(self, claim: Claim) -> None:
        self.seen.append(claim)

    def insert(self, claim: Claim) -> None:
        """Insert a new claim and its debtor.

        A taken shop claim id raises DuplicateKey and leaves the transaction
        unusable (no savepoint: it would cost two round trips on every submit);
        the caller rolls back and answers it as a resubmission.
        """
        params = _claim_values(claim)
        params.update(shop_id=claim.shop_id, shop_claim_id=claim.shop_claim_id,
                      content_hash=content_fingerprint(claim.content),
                      created_at=claim.created_at, version=1)
        try:
            # Parameters, not .values(): one cached statement instead of a new one per call.
            claim.id = self.conn.execute(_INSERT_CLAIM, params).inserted_primary_key[0]
        except IntegrityError:
            raise DuplicateKey(
                f"shop {claim.shop_id!r} already has a claim {claim.shop_claim_id!r}") from None
        claim.version = 1
        debtor = claim.debtor
        self._loaded_debtors[claim.id] = debtor
        self.conn.execute(_INSERT_DEBTOR, dict(
            claim_id=claim.id, kind=debtor.kind.value, salutation=debtor.salutation.value,
            anonymised_at=None, **{f: getattr(debtor, f) for f in _DEBTOR_FIELDS}))

    def update(self, claim: Claim) -> None:
        values = _claim_values(claim)
        # The first time a claim closed stays its closing time (retention counts from it).
        closed_at = values.pop("closed_at")
        values["closed_at"] = (func.coalesce(claims.c.closed_at, closed_at)
                               if closed_at is not None else None)
        result = self.conn.execute(
            update(claims).where(claims.c.id == claim.id, claims.c.version == claim.version)
            .values(version=claim.version + 1, **values))
        if result.rowcount != 1:
            raise ConcurrentUpdate(f"claim {claim.id} changed while it was being updated")
        claim.version += 1
        if claim.debtor is not self._loaded_debtors.get(claim.id):
            self._update_debtor(claim)

    def _update_debtor(self, claim: Claim) -> None:
        debtor = claim.debtor
        self.conn.execute(update(debtors).where(debtors.c.claim_id == claim.id).values(
            kind=debtor.kind.value, salutation=debtor.salutation.value,
            anonymised_at=claim.updated_at if debtor.is_anonymised else None,
            **{f: getattr(debtor, f) for f in _DEBTOR_FIELDS}))
        self._loaded_debtors[claim.id] = debtor

    # -- many claims at once: every unit of work writes through these ------------------
    def get_many(self, claim_ids, *, for_update: bool = False) -> dict[int, Claim]:
        """Claims by id in one query; ids without a claim are absent from the result."""
        ids = sorted(set(claim_ids))
        if not ids:
            return {}
        query = _CLAIMS_BY_IDS_FOR_UPDATE if for_update else _CLAIMS_BY_IDS
        found: dict[int, Claim] = {}
        for row in self.conn.execute(query, {"ids": ids}):
            claim = _claim(row)
            self.seen.append(claim)
            self._remember(claim)
            found[claim.id] = claim
        return found

    def adopt(self, claim: Claim) -> None:
        """Save at commit a claim read on another connection and not changed since.

        Its version check still guards against anyone else's change in between;
        as loaded, it may be saved with update_many's narrow statement.
        """
        self.seen.append(claim)
        self._remember(claim)

    def _remember(self, claim: Claim) -> None:
        self._loaded_debtors[claim.id] = claim.debtor
        self._loaded_parts[claim.id] = (claim.content, claim.accounting, claim.court)

    def update_many(self, batch: list[Claim]) -> None:
        """update() for many claims, in order.

        A claim loaded by get_many or adopt whose content, accounting and court dates
        are still the loaded objects gets only its progress columns written, many in
        one executemany; any other claim goes through update(). Raises
        ConcurrentUpdate when a claim changed since it was read, like update().
        """
        loaded = self._loaded_parts
        narrow: list[Claim] = []
        for claim in batch:
            parts = loaded.get(claim.id)
            if (parts is not None and parts[0] is claim.content
                    and parts[1] is claim.accounting and parts[2] is claim.court):
                narrow.append(claim)
                continue
            self._save_progress(narrow)  # keeps the batch's lock order (claim order)
            narrow = []
            self.update(claim)
        self._save_progress(narrow)

    def _save_progress(self, batch: list[Claim]) -> None:
        if not batch:
            return
        result = self.conn.execute(_SAVE_PROGRESS, [
            {"p_id": c.id, "p_version": c.version, "p_state": c.state.value,
             "p_file_number": c.agency_file_number, "p_status_code": c.agency_status_code,
             "p_status_text": c.agency_status_text, "p_reasons": list(c.rejection_reasons),
             "p_closed": c.state in CLOSED, "p_updated_at": c.updated_at}
            for c in batch])
        if result.rowcount != len(batch):
            raise ConcurrentUpdate(f"one of claims {[c.id for c in batch]} changed while "
                                   "they were being updated")
        for claim in batch:
            claim.version += 1

    def insert_events_many(self, with_events: list[Claim]) -> None:
        """The pending events of many claims, in one statement. They get their feed
        numbers after commit (SqlShopRepository.number_new_events)."""
        rows = [dict(claim_id=claim.id, shop_id=claim.shop_id, at=e.at,
                     actor_kind=e.actor.kind.value, actor_id=e.actor.id, what=e.what,
                     state_before=e.state_before.value if e.state_before else None,
                     state_after=e.state_after.value, details=e.details)
                for claim in with_events for e in claim.pending_events]
        if rows:
            self.conn.execute(_INSERT_EVENT, rows)

    def insert_received(self, claim: Claim, values: dict[str, Any]) -> None:
        """PostgreSQL: insert a claim just received with its debtor, its one event and its
        one outbox message, in one statement; values = received_values(claim).

        A taken shop claim id raises DuplicateKey (see insert)."""
        (e,) = claim.pending_events
        (message,) = claim.pending_messages
        debtor = claim.debtor
        params = {"c_" + k: v for k, v in values.items() if k not in _RECEIVED_CONSTANTS}
        params.update(c_shop_id=claim.shop_id, c_shop_claim_id=claim.shop_claim_id,
                      c_content_hash=content_fingerprint(claim.content),
                      d_kind=debtor.kind.value, d_salutation=debtor.salutation.value,
                      e_actor_kind=e.actor.kind.value, e_actor_id=e.actor.id, e_what=e.what,
                      e_details=e.details, o_kind=message.kind.value, o_payload=message.payload)
        params.update({"d_" + f: getattr(debtor, f) for f in _DEBTOR_FIELDS})
        try:
            claim.id = self.conn.execute(_INSERT_RECEIVED_CLAIM, params).scalar_one()
        except IntegrityError:
            raise DuplicateKey(
                f"shop {claim.shop_id!r} already has a claim {claim.shop_claim_id!r}") from None
        claim.version = 1
        self._loaded_debtors[claim.id] = debtor


def received_values(claim: Claim) -> dict[str, Any] | None:
    """The claim's column values if it is plainly just received (one event, one outbox
    message, and the values _RECEIVED_CONSTANTS writes as constants: see insert_received);
    None otherwise."""
    if (len(claim.pending_events) != 1 or len(claim.pending_messages) != 1
            or claim.pending_messages[0].not_before is not None):
        return None
    (e,) = claim.pending_events
    values = _claim_values(claim)
    if (any(values[k] != v for k, v in _RECEIVED_CONSTANTS.items())
            or claim.created_at != claim.updated_at or e.at != claim.updated_at
            or e.state_before is not None or e.state_after is not claim.state):
        return None
    return values


def _claim_values(claim: Claim) -> dict[str, Any]:
    c, acc, court = claim.content, claim.accounting, claim.court
    credit = c.consumer_credit
    closed = claim.state in CLOSED
    return dict(
        claim_type=c.claim_type.value, reason=c.reason, principal=c.principal,
        dunning_fees=c.dunning_fees, currency=c.currency, date_of_origin=c.date_of_origin,
        due_date=c.due_date, date_of_last_reminder=c.date_of_last_reminder, note=c.note,
        counter_performance_rendered=c.counter_performance_rendered, state=claim.state.value,
        agency_account=claim.agency_account, agency_reference=claim.agency_reference,
        agency_file_number=claim.agency_file_number,
        agency_status_code=claim.agency_status_code, agency_status_text=claim.agency_status_text,
        rejection_reasons=list(claim.rejection_reasons), total_debts=acc.total_debts,
        paid=acc.paid, outstanding=acc.outstanding, current_payout=acc.current_payout,
        sum_payout=acc.sum_payout,
        payouts=[{"date": p.paid_out_on.isoformat(), "amount": f"{p.amount:f}", "number": p.number}
                 for p in acc.payouts],
        dunning_order_issued_on=court.dunning_order_issued_on,
        dunning_order_served_on=court.dunning_order_served_on,
        enforcement_order_issued_on=court.enforcement_order_issued_on,
        procedure_stalled_on=court.procedure_stalled_on,
        consumer_credit_rate=credit.effective_annual_rate if credit else None,
        consumer_credit_contract_date=credit.contract_date if credit else None,
        handover_ready_on=claim.handover_ready_on,
        closed_at=(claim.updated_at if closed else None), updated_at=claim.updated_at)


def _claim(row: Row) -> Claim:
    debtor = Debtor(kind=DebtorKind(row.kind), salutation=Salutation(row.salutation),
                    **{f: getattr(row, f) for f in _DEBTOR_FIELDS})
    content = ClaimContent(
        shop_claim_id=row.shop_claim_id, claim_type=ClaimType(row.claim_type), reason=row.reason,
        principal=row.principal, dunning_fees=row.dunning_fees, date_of_origin=row.date_of_origin,
        due_date=row.due_date, date_of_last_reminder=row.date_of_last_reminder, note=row.note,
        counter_performance_rendered=row.counter_performance_rendered, debtor=debtor,
        currency=row.currency,
        consumer_credit=ConsumerCredit(row.consumer_credit_rate, row.consumer_credit_contract_date)
        if row.consumer_credit_rate is not None else None)
    accounting = AccountingSummary(
        total_debts=row.total_debts, paid=row.paid, outstanding=row.outstanding,
        current_payout=row.current_payout, sum_payout=row.sum_payout,
        payouts=tuple(Payout(date.fromisoformat(p["date"]), Decimal(p["amount"]), p["number"])
                      for p in row.payouts or ()))
    court = CourtDates(row.dunning_order_issued_on, row.dunning_order_served_on,
                       row.enforcement_order_issued_on, row.procedure_stalled_on)
    return Claim(shop_id=row.shop_id, content=content, state=ClaimState(row.state), id=row.id,
                 agency_account=row.agency_account, agency_reference=row.agency_reference,
                 agency_file_number=row.agency_file_number,
                 agency_status_code=row.agency_status_code,
                 agency_status_text=row.agency_status_text,
                 rejection_reasons=tuple(row.rejection_reasons or ()), accounting=accounting,
                 court=court, handover_ready_on=row.handover_ready_on,
                 created_at=row.created_at, updated_at=row.updated_at,
                 version=row.version)


def _event(row: Row) -> ClaimEvent:
    return ClaimEvent(at=row.at, actor=Actor(ActorKind(row.actor_kind), row.actor_id),
                      what=row.what,
                      state_before=ClaimState(row.state_before) if row.state_before else None,
                      state_after=ClaimState(row.state_after), details=dict(row.details or {}))
