"""The schema, as SQLAlchemy Core tables. Alembic migrations create and change it."""
from __future__ import annotations

from sqlalchemy import (JSON, BigInteger, Boolean, Column, Date, ForeignKey, Index, Integer,
                        MetaData, String, Table, Text, UniqueConstraint, text)

from .column_types import BigId, Cents, Percent4, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# An agency endpoint with its adapter kind; installation secrets come from the environment.
agency_connections = Table(
    "agency_connections", metadata,
    Column("name", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    # NULL: GATEWAY_AGENCY_URL, or the in-process simulator (the zero-config default).
    Column("endpoint_url", Text),
    Column("sandbox", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# A creditor's credentials at one connection; several shops may share an account.
agency_accounts = Table(
    "agency_accounts", metadata,
    Column("name", String(64), primary_key=True),
    Column("connection", String(64), ForeignKey("agency_connections.name"), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("client_key", String(255)),
    Column("user_name", String(128)),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("connection", "client_id", name="uq_agency_accounts_client"),
)

shops = Table(
    "shops", metadata,
    Column("id", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    # The account new claims are handed to; NULL: none yet (claims wait for one).
    Column("agency_account", String(64), ForeignKey("agency_accounts.name")),
    # Put before the shop claim id in the reference sent to the agency (unique per gateway,
    # so references are unique per account however shops are moved between accounts).
    Column("agency_reference_prefix", String(8), unique=True),
    # Federal state of the shop's seat: picks the competent dunning court.
    Column("seat", String(16)),
    Column("catalogue_overrides", JSON, nullable=False, default=dict),
    # The last sequence number given to one of the shop's events. Numbers are given to
    # committed events only, under this row's lock, when the shop reads its changes feed
    # (see SqlShopRepository.number_new_events): writers never wait for each other here.
    Column("last_event_seq", BigInteger, nullable=False, default=0),
    Column("created_at", UTCDateTime, nullable=False),
    # When its claims go to the agency (gateway/domain/handover.py): IMMEDIATE, or
    # WHEN_IN_DEFAULT and at least these many days after the due date / the last reminder.
    Column("handover_policy", String(20), nullable=False, default="IMMEDIATE",
           server_default="IMMEDIATE"),
    Column("handover_days_after_due", Integer, nullable=False, default=10, server_default="10"),
    Column("handover_days_after_reminder", Integer, nullable=False, default=5,
           server_default="5"),
)

claims = Table(
    "claims", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("shop_id", String(64), ForeignKey("shops.id"), nullable=False),
    Column("shop_claim_id", String(64), nullable=False),
    Column("claim_type", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("principal", Cents, nullable=False),
    Column("dunning_fees", Cents, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("date_of_origin", Date, nullable=False),
    Column("due_date", Date),
    Column("date_of_last_reminder", Date),
    Column("note", Text),
    Column("counter_performance_rendered", Boolean, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("state", String(32), nullable=False, index=True),
    # The account the claim is handed to (kept if its shop moves to another account) and
    # the reference the agency knows it by (unique per account: the hand-over's dedupe key).
    Column("agency_account", String(64)),
    Column("agency_reference", String(80)),
    Column("agency_file_number", String(32), index=True),
    Column("agency_status_code", Integer),
    Column("agency_status_text", Text),
    Column("rejection_reasons", JSON, nullable=False, default=list),
    Column("total_debts", Cents, nullable=False, default=0),
    Column("paid", Cents, nullable=False, default=0),
    Column("outstanding", Cents, nullable=False, default=0),
    Column("current_payout", Cents, nullable=False, default=0),
    Column("sum_payout", Cents, nullable=False, default=0),
    Column("payouts", JSON, nullable=False, default=list),
    Column("dunning_order_issued_on", Date),
    Column("dunning_order_served_on", Date),
    Column("enforcement_order_issued_on", Date),
    Column("procedure_stalled_on", Date),
    # A claim from a consumer credit contract (§ 688 (2) Nr. 1 ZPO): its effective annual
    # rate in percent (exact, 4 places) and the contract date; both NULL for other claims.
    Column("consumer_credit_rate", Percent4),
    Column("consumer_credit_contract_date", Date),
    # WAITING_FOR_DEFAULT: the day the worker hands it over (its outbox row is due then).
    Column("handover_ready_on", Date),
    Column("closed_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False, default=1),
    UniqueConstraint("shop_id", "shop_claim_id", name="uq_claims_shop_claim"),
    Index("ix_claims_account_file_number", "agency_account", "agency_file_number"),
)

debtors = Table(
    "debtors", metadata,
    Column("claim_id", BigId, ForeignKey("claims.id"), primary_key=True),
    Column("kind", String(10), nullable=False),
    Column("salutation", String(10), nullable=False),
    Column("customer_id", String(64)),
    Column("first_name", String(100)),
    Column("last_name", String(100)),
    Column("company", String(100)),
    Column("legal_form", String(50)),
    Column("care_of", String(100)),
    Column("street", String(100)),
    Column("house_number", String(20)),
    Column("postcode", String(10)),
    Column("city", String(100)),
    Column("country", String(2), nullable=False),
    Column("email", String(254)),
    Column("phone", String(40)),
    Column("mobile", String(40)),
    Column("date_of_birth", Date),
    Column("anonymised_at", UTCDateTime),
)

claim_events = Table(
    "claim_events", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("claim_id", BigId, ForeignKey("claims.id"), nullable=False, index=True),
    Column("shop_id", String(64), nullable=False),
    # The shop's gap-free feed position; NULL until the event is numbered (after commit).
    Column("shop_seq", BigInteger),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_kind", String(10), nullable=False),
    Column("actor_id", String(128), nullable=False),
    Column("what", String(64), nullable=False),
    Column("state_before", String(32)),
    Column("state_after", String(32), nullable=False),
    Column("details", JSON, nullable=False, default=dict),
    UniqueConstraint("shop_id", "shop_seq", name="uq_claim_events_shop_seq"),
    # The shop's events still to be numbered, oldest first: small, as numbering empties it.
    Index("ix_claim_events_unnumbered", "shop_id", "id",
          postgresql_where=text("shop_seq IS NULL"), sqlite_where=text("shop_seq IS NULL")),
)

outbox = Table(
    "outbox", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("claim_id", BigId, ForeignKey("claims.id"), nullable=False),
    Column("shop_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("payload", JSON, nullable=False, default=dict),
    # pending -> done | failed (permanent) | dead (retries exhausted); a lease marks in-flight.
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("available_at", UTCDateTime, nullable=False),
    Column("leased_until", UTCDateTime),
    Column("leased_by", String(64)),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("completed_at", UTCDateTime),
    Index("ix_outbox_state_available", "state", "available_at"),
    Index("ix_outbox_claim_order", "claim_id", "id"),
)

sync_checkpoints = Table(
    "sync_checkpoints", metadata,
    Column("name", String(128), primary_key=True),
    Column("value", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Agency changes already applied, so a redelivered batch is a no-op.
applied_agency_changes = Table(
    "applied_agency_changes", metadata,
    Column("agency_account", String(64), primary_key=True),
    Column("change_key", String(200), primary_key=True),
    Column("applied_at", UTCDateTime, nullable=False),
)

# Changes an agency reported for file numbers the gateway does not know: stored before the
# batch is committed at the agency, so none is lost; `gateway sync unmatched` shows them.
unmatched_agency_changes = Table(
    "unmatched_agency_changes", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("agency_account", String(64), nullable=False),
    Column("change_key", String(200), nullable=False),
    Column("file_number", String(32), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("status_text", Text),
    Column("details", Text),
    Column("changed_at", UTCDateTime),
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint("agency_account", "change_key", name="uq_unmatched_agency_changes_key"),
)

court_dunning_requests = Table(
    "court_dunning_requests", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("claim_id", BigId, ForeignKey("claims.id"), nullable=False, index=True),
    Column("requested_by", String(128), nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("instruction", String(32), nullable=False),
    Column("note", Text),
    Column("preflight", JSON, nullable=False),
)

# WS-Security nonces seen within the freshness window (replay protection across processes).
used_nonces = Table(
    "used_nonces", metadata,
    Column("nonce_key", String(200), primary_key=True),
    Column("seen_at", UTCDateTime, nullable=False, index=True),
)

# Failed logins per shop id and per client address, shared by every facade process: the
# login throttle's delays and lockouts (gateway/service/login_throttle.py). A row exists
# only while its failures are remembered; a success deletes the shop's row, an operator's
# `gateway logins unlock` either.
login_failures = Table(
    "login_failures", metadata,
    Column("kind", String(8), primary_key=True),  # "shop" or "address"
    Column("subject", String(64), primary_key=True),  # the shop id or the client address
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UTCDateTime, nullable=False),
    # No login of this subject is checked before this time; locked: it is a lockout (the
    # failures reached the lockout threshold), not one of the growing delays before it.
    Column("blocked_until", UTCDateTime),
    Column("locked", Boolean, nullable=False, default=False),
)

# -- the accounting console (gateway/console) --------------------------------------------
# Staff who log in to the console. A removed member keeps the row (removed_at), so a name is
# never given to someone else and the audit trail names one person for good.
staff = Table(
    "staff", metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),  # viewer, accountant or operator
    # Administrators see every shop, debtor data and the audit trail; what they may do is
    # their role's.
    Column("admin", Boolean, nullable=False, default=False),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("last_login_at", UTCDateTime),
    Column("removed_at", UTCDateTime),
)

# The shops whose claims a staff member who is no administrator sees.
staff_shops = Table(
    "staff_shops", metadata,
    Column("staff_name", String(64), ForeignKey("staff.name"), primary_key=True),
    Column("shop_id", String(64), ForeignKey("shops.id"), primary_key=True),
)

# Console sessions, server-side: the cookie holds a random token, the table its SHA-256, so
# a logout, a removal or a new password ends a session at once in every process.
staff_sessions = Table(
    "staff_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_name", String(64), ForeignKey("staff.name"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("address", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    # A one-line message for the next page (the outcome of an action, shown once).
    Column("notice", Text),
)

# Who did what, when, from which address: every console login, logout, failed login and
# action, and the `gateway staff` commands. Details hold no debtor data.
audit_log = Table(
    "audit_log", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    # The staff member; "cli:USER" for a `gateway staff` command; NULL for a failed login
    # under a name no staff member has (the name typed is not kept: it may be a password).
    Column("actor", String(128)),
    Column("action", String(32), nullable=False),
    Column("address", String(64)),
    Column("shop_id", String(64)),
    Column("claim_id", BigInteger),
    Column("details", JSON, nullable=False, default=dict),
    Index("ix_audit_log_actor_id", "actor", "id"),
)
