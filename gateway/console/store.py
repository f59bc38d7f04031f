"""The console's queries: staff, sessions, the audit trail, claim lists, the dashboard.

Lists are keyset pages over the claim id (newest first): a page costs the same at the start
and deep in 100,000 claims, and a claim that arrives meanwhile moves nothing. Reads take no
write lock on SQLite (DEFERRED); writes go through the gateway's unit of work (its SQLite
writer lock, one transaction), so an action and its audit row commit together.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterator

from sqlalchemy import and_, delete, false, func, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine, Row

from gateway.domain.court_dunning import (LIMITATION_SOON_DAYS, LIMITATION_YEARS,
                                          court_for_seat, court_seat_state, last_day_to_file,
                                          limitation_end)
from gateway.domain.errors import DomainError
from gateway.domain.lifecycle import CLOSED, COURT_STAGES, ClaimState
from gateway.store import outbox_store
from gateway.store.column_types import Cents
from gateway.store.tables import (agency_accounts, audit_log, claims, court_dunning_requests,
                                  debtors, outbox, shops, staff, staff_sessions, staff_shops)
from gateway.store.unit_of_work import SqlUnitOfWork

from .roles import Role, StaffMember

AUDIT_TABLE = audit_log.name
PAGE_SIZE = 50


@contextlib.contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    # A plain read: on SQLite no write lock (the gateway's writers queue on it).
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
        yield conn


class AuditedUnitOfWork(SqlUnitOfWork):
    """A unit of work that writes an audit row in the transaction it commits, so an action
    and its audit row are stored together or not at all (nothing is audited as done that
    was refused: the use case raises before it commits)."""

    def __init__(self, engine: Engine, entry: dict[str, Any], **kwargs: Any):
        super().__init__(engine, **kwargs)
        self.entry = entry

    def commit(self) -> None:
        if self.entry is not None:
            self.record(AUDIT_TABLE, self.entry)
            self.entry = None
        super().commit()


# -- staff ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class StaffRow:
    member: StaffMember
    created_at: datetime
    last_login_at: datetime | None
    removed_at: datetime | None


def _member(row: Row, shop_ids: frozenset[str]) -> StaffMember:
    return StaffMember(name=row.name, role=Role(row.role), admin=bool(row.admin), shops=shop_ids)


def shops_of(conn: Connection, names: list[str]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {name: set() for name in names}
    if names:
        for name, shop_id in conn.execute(select(staff_shops.c.staff_name, staff_shops.c.shop_id)
                                          .where(staff_shops.c.staff_name.in_(names))):
            found[name].add(shop_id)
    return {name: frozenset(ids) for name, ids in found.items()}


def get_staff(conn: Connection, name: str) -> StaffRow | None:
    row = conn.execute(select(staff).where(staff.c.name == name)).first()
    if row is None:
        return None
    return StaffRow(_member(row, shops_of(conn, [name])[name]), row.created_at,
                    row.last_login_at, row.removed_at)


def password_hash(conn: Connection, name: str) -> str | None:
    """The hash of a staff member who may log in (not removed); None otherwise."""
    return conn.execute(select(staff.c.password_hash).where(
        staff.c.name == name, staff.c.removed_at.is_(None))).scalar_one_or_none()


def list_staff(conn: Connection, include_removed: bool = False) -> list[StaffRow]:
    query = select(staff).order_by(staff.c.name)
    if not include_removed:
        query = query.where(staff.c.removed_at.is_(None))
    rows = conn.execute(query).all()
    shop_ids = shops_of(conn, [r.name for r in rows])
    return [StaffRow(_member(r, shop_ids[r.name]), r.created_at, r.last_login_at, r.removed_at)
            for r in rows]


def insert_staff(conn: Connection, member: StaffMember, hashed: str, now: datetime) -> None:
    conn.execute(insert(staff).values(name=member.name, role=member.role.value,
                                      admin=member.admin, password_hash=hashed, created_at=now,
                                      updated_at=now))
    set_shops(conn, member.name, member.shops)


def update_staff(conn: Connection, name: str, now: datetime, **values: Any) -> None:
    conn.execute(update(staff).where(staff.c.name == name).values(updated_at=now, **values))


def set_shops(conn: Connection, name: str, shop_ids: frozenset[str]) -> None:
    conn.execute(delete(staff_shops).where(staff_shops.c.staff_name == name))
    if shop_ids:
        conn.execute(insert(staff_shops), [{"staff_name": name, "shop_id": s}
                                           for s in sorted(shop_ids)])


def existing_shops(conn: Connection, shop_ids: set[str]) -> set[str]:
    if not shop_ids:
        return set()
    return set(conn.execute(select(shops.c.id).where(shops.c.id.in_(sorted(shop_ids))))
               .scalars())


def all_shop_ids(conn: Connection) -> list[str]:
    return list(conn.execute(select(shops.c.id).order_by(shops.c.id)).scalars())


# -- sessions -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Session:
    token_hash: str
    member: StaffMember
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    notice: str | None


def insert_session(conn: Connection, token_hash: str, name: str, csrf_token: str,
                   address: str | None, now: datetime) -> None:
    conn.execute(insert(staff_sessions).values(
        token_hash=token_hash, staff_name=name, csrf_token=csrf_token, address=address,
        created_at=now, last_seen_at=now))


def get_session(conn: Connection, token_hash: str) -> Session | None:
    """The session with its staff member as they are now (role and shops of this moment);
    None when there is none or its member was removed."""
    row = conn.execute(
        select(staff_sessions, staff.c.name, staff.c.role, staff.c.admin)
        .join(staff, staff.c.name == staff_sessions.c.staff_name)
        .where(staff_sessions.c.token_hash == token_hash, staff.c.removed_at.is_(None))).first()
    if row is None:
        return None
    member = _member(row, shops_of(conn, [row.name])[row.name])
    return Session(row.token_hash, member, row.csrf_token, row.created_at, row.last_seen_at,
                   row.notice)


def touch_session(conn: Connection, token_hash: str, now: datetime) -> None:
    conn.execute(update(staff_sessions).where(staff_sessions.c.token_hash == token_hash)
                 .values(last_seen_at=now))


def set_notice(conn: Connection, token_hash: str, notice: str | None) -> None:
    conn.execute(update(staff_sessions).where(staff_sessions.c.token_hash == token_hash)
                 .values(notice=notice))


def delete_session(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(staff_sessions).where(staff_sessions.c.token_hash == token_hash))


def delete_sessions_of(conn: Connection, name: str) -> int:
    return conn.execute(delete(staff_sessions).where(staff_sessions.c.staff_name == name)).rowcount


def delete_sessions_idle_since(conn: Connection, before: datetime) -> int:
    return conn.execute(delete(staff_sessions).where(staff_sessions.c.last_seen_at < before)) \
        .rowcount


# -- audit trail ----------------------------------------------------------------------------
def audit_entry(at: datetime, actor: str | None, action: str, address: str | None = None,
                shop_id: str | None = None, claim_id: int | None = None,
                **details: Any) -> dict[str, Any]:
    return dict(at=at, actor=actor, action=action, address=address, shop_id=shop_id,
                claim_id=claim_id, details=details)


def audit_page(conn: Connection, *, actor: str | None = None, action: str | None = None,
               after: int | None = None, limit: int = PAGE_SIZE) -> list[Row]:
    """Audit rows newest first, after the id `after` (a keyset page); limit + 1 asked for by
    callers that want to know whether there is more."""
    query = (select(audit_log, claims.c.shop_claim_id)
             .outerjoin(claims, claims.c.id == audit_log.c.claim_id)
             .order_by(audit_log.c.id.desc()).limit(limit))
    if actor:
        query = query.where(audit_log.c.actor == actor)
    if action:
        query = query.where(audit_log.c.action == action)
    if after is not None:
        query = query.where(audit_log.c.id < after)
    return conn.execute(query).all()


def audit_actions(conn: Connection) -> list[str]:
    return list(conn.execute(select(audit_log.c.action).distinct().order_by(audit_log.c.action))
                .scalars())


# -- claims ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClaimFilter:
    """What a claims list shows. scope: the shops the staff member sees (None: all)."""

    scope: frozenset[str] | None
    shop: str | None = None
    state: str | None = None
    account: str | None = None
    connection: str | None = None
    needs_review: bool = False
    candidate: bool = False
    limitation_soon: bool = False
    search: str | None = None

    def as_query(self) -> dict[str, str]:
        """The filter as the list page's query parameters (for links and the audit)."""
        values = {"shop": self.shop, "state": self.state, "account": self.account,
                  "connection": self.connection, "q": self.search,
                  "review": "1" if self.needs_review else None,
                  "candidate": "1" if self.candidate else None,
                  "limitation": "1" if self.limitation_soon else None}
        return {k: v for k, v in values.items() if v}


LIST_COLUMNS = (claims.c.id, claims.c.shop_id, claims.c.shop_claim_id, claims.c.state,
                claims.c.claim_type, claims.c.principal, claims.c.dunning_fees,
                claims.c.currency, claims.c.total_debts, claims.c.paid, claims.c.outstanding,
                claims.c.sum_payout, claims.c.agency_account, claims.c.agency_file_number,
                claims.c.agency_status_code, claims.c.date_of_origin, claims.c.due_date,
                claims.c.created_at, claims.c.updated_at)
DEBTOR_COLUMNS = (debtors.c.kind, debtors.c.salutation, debtors.c.first_name,
                  debtors.c.last_name, debtors.c.company, debtors.c.legal_form,
                  debtors.c.street, debtors.c.house_number, debtors.c.postcode, debtors.c.city,
                  debtors.c.country, debtors.c.email, debtors.c.phone)
# Still to be collected out of court: what "limitation ends soon" is about.
_NOT_PURSUED = tuple(s.value for s in CLOSED | COURT_STAGES
                     | {ClaimState.CANCEL_REQUESTED, ClaimState.CANCELLED})


def limitation_ends(row) -> date:
    """The legal end of a listed claim's limitation (before § 193 BGB moves the last day to
    file): from its due date when it has one, else its date of origin, as
    gateway.domain.court_dunning.claim_arose_on has it."""
    return limitation_end(row.due_date or row.date_of_origin)


_ARISEN = func.coalesce(claims.c.due_date, claims.c.date_of_origin)  # see limitation_ends


def _fileable(today: date, court_state: str, until: date | None) -> tuple[int, int] | None:
    """The years a claim may have arisen in whose last day to file (the end of limitation,
    moved by § 193 BGB at the dunning court's seat) is today or later, and with `until` at
    most that day: (first, last) year, None for none. Every claim arisen in one year ends
    limitation on the same day, so whole years are exact."""
    years = []
    for year in range(today.year - LIMITATION_YEARS - 2, today.year + 2):
        last_day = last_day_to_file(limitation_end(date(year, 1, 1)), court_state).moved_to
        if last_day >= today and (until is None or last_day <= until):
            years.append(year)
    return (years[0], years[-1]) if years else None


def _by_court(shops_seats: list[Row], scope: frozenset[str] | None, today: date,
              until: date | None):
    """SQL for "the claim's last day to file is between today and until" (until None: any
    time later): the day depends on the holidays at the seat of the shop's dunning court,
    so shops are grouped by what it gives them. A shop whose seat names no court has none."""
    groups: dict[tuple[int, int] | None, list[str]] = {}
    for shop in shops_seats:
        if scope is not None and shop.id not in scope:
            continue
        try:
            state = court_seat_state(court_for_seat(shop.seat))
        except DomainError:  # a seat or court the data file does not know: cannot file
            continue
        groups.setdefault(_fileable(today, state, until), []).append(shop.id)
    return or_(false(), *[and_(claims.c.shop_id.in_(ids), _ARISEN >= date(years[0], 1, 1),
                               *([_ARISEN <= date(years[1], 12, 31)] if until else []))
                          for years, ids in groups.items() if years is not None])


def candidate_conditions(today: date, shops_seats: list[Row],
                         scope: frozenset[str] | None) -> list:
    """SQL for "the court dunning preflight passes" on an UNCOLLECTIBLE claim: each line is
    one refusal reason of gateway.domain.court_dunning.preflight ruled out, except a consumer
    credit's rate (the base rate of its contract date decides): the lists confirm each row
    with the preflight itself, and a test keeps the two in step."""
    # Plain comparisons, no expressions: PostgreSQL's planner then estimates them from its
    # column statistics (a COALESCE it guesses at 0.5 % and starts from the wrong table).
    filled = [and_(c.is_not(None), c != "") for c in (
        claims.c.agency_file_number, debtors.c.street, debtors.c.house_number,
        debtors.c.postcode, debtors.c.city)]
    return [claims.c.state == ClaimState.UNCOLLECTIBLE.value,  # not closed, cancelled, in court
            filled[0],  # NO_FILE_NUMBER
            claims.c.currency == "EUR", claims.c.principal > 0,  # PRINCIPAL_NOT_POSITIVE_EUR
            claims.c.counter_performance_rendered.is_(True),  # COUNTER_PERFORMANCE_MISSING
            *filled[1:],  # ADDRESS_INCOMPLETE
            # DEBTOR_ABROAD (and an empty country): stored countries are ISO codes in capitals
            # (gateway.domain.validation refuses any other).
            debtors.c.country == "DE",
            _by_court(shops_seats, scope, today, None)]  # TIME_BARRED


def _conditions(f: ClaimFilter, today: date, shops_seats: list[Row]) -> tuple[list, bool]:
    """(WHERE conditions, whether they need the debtors join)."""
    where: list = []
    join_debtors = False
    if f.scope is not None:
        where.append(claims.c.shop_id.in_(sorted(f.scope)) if f.scope else false())
    if f.shop:
        where.append(claims.c.shop_id == f.shop)
    if f.state:
        where.append(claims.c.state == f.state)
    if f.needs_review:
        where.append(claims.c.state == ClaimState.NEEDS_REVIEW.value)
    if f.account:
        where.append(claims.c.agency_account == f.account)
    if f.connection:
        where.append(claims.c.agency_account.in_(
            select(agency_accounts.c.name).where(agency_accounts.c.connection == f.connection)))
    if f.candidate:
        where.extend(candidate_conditions(today, shops_seats, f.scope))
        join_debtors = True
    if f.limitation_soon:
        # The preflight's LIMITATION_SOON warning, for claims still to be collected.
        where.append(and_(_by_court(shops_seats, f.scope, today,
                                    today + timedelta(days=LIMITATION_SOON_DAYS)),
                          claims.c.state.not_in(_NOT_PURSUED)))
    if f.search:
        # The shop id in front lets both databases use the (shop, shop claim id) key.
        shop_ids = sorted(f.scope) if f.scope is not None else [s.id for s in shops_seats]
        where.append(or_(and_(claims.c.shop_id.in_(shop_ids),
                              claims.c.shop_claim_id == f.search),
                         claims.c.agency_file_number == f.search))
    return where, join_debtors


@dataclass
class ClaimPage:
    rows: list[Row]
    older: int | None = None  # `after` of the next page, None on the last
    newer: int | None = None  # `before` of the previous page, None on the first
    extra: dict = field(default_factory=dict)


def claim_query(f: ClaimFilter, today: date, shops_seats: list[Row], with_debtor: bool):
    where, join_debtors = _conditions(f, today, shops_seats)
    columns = LIST_COLUMNS + (DEBTOR_COLUMNS if with_debtor else ())
    source = claims.join(debtors, debtors.c.claim_id == claims.c.id) \
        if (join_debtors or with_debtor) else claims
    return select(*columns).select_from(source).where(*where)


def claim_page(conn: Connection, f: ClaimFilter, today: date, *, with_debtor: bool,
               after: int | None = None, before: int | None = None,
               size: int = PAGE_SIZE) -> ClaimPage:
    """One keyset page, newest first: ids below `after`, or the page above `before`."""
    query = claim_query(f, today, shop_seats(conn), with_debtor)
    if before is not None:
        rows = conn.execute(query.where(claims.c.id > before).order_by(claims.c.id)
                            .limit(size + 1)).all()
        more_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        page = ClaimPage(rows, newer=rows[0].id if more_newer and rows else None)
        page.older = rows[-1].id if rows else None
        return page
    if after is not None:
        query = query.where(claims.c.id < after)
    rows = conn.execute(query.order_by(claims.c.id.desc()).limit(size + 1)).all()
    page = ClaimPage(rows[:size])
    if len(rows) > size:
        page.older = rows[size - 1].id
    if after is not None and page.rows:
        page.newer = page.rows[0].id
    return page


def count_claims(conn: Connection, f: ClaimFilter, today: date) -> int:
    where, join_debtors = _conditions(f, today, shop_seats(conn))
    source = claims.join(debtors, debtors.c.claim_id == claims.c.id) if join_debtors else claims
    return conn.execute(select(func.count()).select_from(source).where(*where)).scalar_one()


def iter_claims(engine: Engine, f: ClaimFilter, today: date, *, with_debtor: bool,
                batch: int = 1000) -> Iterator[list[Row]]:
    """Every matching claim, newest first, in batches, one short read each (CSV export)."""
    after = None
    while True:
        with reading(engine) as conn:
            page = claim_page(conn, f, today, with_debtor=with_debtor, after=after, size=batch)
        if page.rows:
            yield page.rows
        if page.older is None:
            return
        after = page.older


def shop_seats(conn: Connection) -> list[Row]:
    """Every shop's id and seat (a small table; the seat decides the dunning court)."""
    return conn.execute(select(shops.c.id, shops.c.seat).order_by(shops.c.id)).all()


def accounts_in_scope(conn: Connection, scope: frozenset[str] | None) -> list[Row]:
    """Agency accounts (name, connection) the staff member's shops are on (all: None)."""
    query = select(agency_accounts.c.name, agency_accounts.c.connection) \
        .order_by(agency_accounts.c.name)
    if scope is not None:
        query = query.where(agency_accounts.c.name.in_(
            select(shops.c.agency_account).where(shops.c.id.in_(sorted(scope)))))
    return conn.execute(query).all()


# -- dashboard ------------------------------------------------------------------------------
def _scoped(query, scope: frozenset[str] | None):
    if scope is None:
        return query
    return query.where(claims.c.shop_id.in_(sorted(scope)) if scope else false())


def counts_by(conn: Connection, column, scope: frozenset[str] | None) -> list[tuple[Any, int]]:
    query = _scoped(select(column, func.count()).group_by(column), scope)
    return sorted(((key, int(n)) for key, n in conn.execute(query)), key=lambda kv: -kv[1])


def _month(conn: Connection, column):
    if conn.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def months_back(today: date, count: int) -> list[str]:
    """The last `count` months up to today's, oldest first, as YYYY-MM."""
    index = today.year * 12 + today.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def handed_over_by_month(conn: Connection, scope: frozenset[str] | None,
                         months: list[str]) -> dict[str, Decimal]:
    """The principal of the claims received per month (UTC months of their arrival)."""
    start = datetime.fromisoformat(months[0] + "-01").replace(tzinfo=timezone.utc)
    month = _month(conn, claims.c.created_at)
    query = _scoped(select(month, func.sum(claims.c.principal, type_=Cents()))
                    .where(claims.c.created_at >= start).group_by(month), scope)
    found = {m: (total or Decimal("0.00")) for m, total in conn.execute(query)}
    return {m: found.get(m, Decimal("0.00")) for m in months}


def collected_by_month(conn: Connection, scope: frozenset[str] | None,
                       months: list[str]) -> dict[str, Decimal]:
    """What the agency paid out per month (the payouts of the accounting summaries)."""
    totals = {m: Decimal("0.00") for m in months}
    query = _scoped(select(claims.c.payouts).where(claims.c.sum_payout > 0), scope)
    for (payouts,) in conn.execute(query):
        for payout in payouts or ():
            key = str(payout.get("date", ""))[:7]
            if key in totals:
                totals[key] += Decimal(payout["amount"])
    return totals


# -- deliveries and agency changes ----------------------------------------------------------
def deliveries(conn: Connection, scope: frozenset[str] | None, states: tuple[str, ...],
               after: int | None = None, limit: int = PAGE_SIZE) -> list[Row]:
    """Outbox rows in `states` (newest first) with their claim's shop claim id."""
    query = (select(outbox.c.id, outbox.c.claim_id, outbox.c.shop_id, outbox.c.kind,
                    outbox.c.state, outbox.c.attempts, outbox.c.last_error, outbox.c.created_at,
                    outbox.c.updated_at, claims.c.shop_claim_id)
             .join(claims, claims.c.id == outbox.c.claim_id)
             .where(outbox.c.state.in_(states)).order_by(outbox.c.id.desc()).limit(limit))
    if scope is not None:
        query = query.where(outbox.c.shop_id.in_(sorted(scope)) if scope else false())
    if after is not None:
        query = query.where(outbox.c.id < after)
    return conn.execute(query).all()


def delivery_counts(conn: Connection, scope: frozenset[str] | None) -> dict[str, int]:
    query = select(outbox.c.state, func.count()).group_by(outbox.c.state)
    if scope is not None:
        query = query.where(outbox.c.shop_id.in_(sorted(scope)) if scope else false())
    found = dict(conn.execute(query).all())
    return {state: int(found.get(state, 0)) for state in outbox_store.STATES}


def claim_deliveries(conn: Connection, claim_id: int) -> list[Row]:
    return conn.execute(select(outbox).where(outbox.c.claim_id == claim_id)
                        .order_by(outbox.c.id)).all()


def dunning_requests(conn: Connection, claim_id: int) -> list[Row]:
    t = court_dunning_requests
    return conn.execute(select(t).where(t.c.claim_id == claim_id).order_by(t.c.id)).all()


