"""agency connections and accounts; claims remember their account and agency reference

Shops no longer carry agency credentials. An agency connection (adapter kind, endpoint,
sandbox flag) and an agency account (a connection plus a creditor's credentials there)
are rows; a shop is put on an account, and several shops may share one. Today's
installations move over: one connection "default" (endpoint NULL: GATEWAY_AGENCY_URL or
the in-process simulator; "default-sandbox" beside it if any shop used the sandbox), and
one account per distinct client id, so shops that shared a client id share an account.

Claims remember the account they were handed to (claims.agency -> agency_account) and
the reference the agency knows them by (agency_reference; for existing claims the shop
claim id they were sent under). The keys of applied agency changes are kept per account.
Agency changes whose file number the gateway does not know are stored, not dropped
(unmatched_agency_changes).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""
from datetime import datetime, timezone
import re

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

DEFAULT_KIND = "mediafinanz-soap"


def _prefix(shop_id: str, taken: set) -> str:
    # As gateway.domain.agency.reference_prefix_for does (kept here as it was at this revision).
    base = re.sub(r"[^A-Z0-9]", "", shop_id.upper())[:6] or "SHOP"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base[:6 - len(str(n))]}{n}"
    taken.add(candidate)
    return candidate


def upgrade() -> None:
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    op.create_table(
        'agency_connections',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('endpoint_url', sa.Text(), nullable=True),
        sa.Column('sandbox', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_agency_connections')))
    op.create_table(
        'agency_accounts',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('connection', sa.String(length=64), nullable=False),
        sa.Column('client_id', sa.String(length=64), nullable=False),
        sa.Column('client_key', sa.String(length=255), nullable=True),
        sa.Column('user_name', sa.String(length=128), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['connection'], ['agency_connections.name'],
                                name=op.f('fk_agency_accounts_connection_agency_connections')),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_agency_accounts')),
        sa.UniqueConstraint('connection', 'client_id', name='uq_agency_accounts_client'))
    op.create_table(
        'unmatched_agency_changes',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
                  nullable=False),
        sa.Column('agency_account', sa.String(length=64), nullable=False),
        sa.Column('change_key', sa.String(length=200), nullable=False),
        sa.Column('file_number', sa.String(length=32), nullable=False),
        sa.Column('status_code', sa.Integer(), nullable=False),
        sa.Column('status_text', sa.Text(), nullable=True),
        sa.Column('details', sa.Text(), nullable=True),
        sa.Column('changed_at', sa.DateTime(), nullable=True),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_unmatched_agency_changes')),
        sa.UniqueConstraint('agency_account', 'change_key', name='uq_unmatched_agency_changes_key'))

    conn = op.get_bind()
    shops = conn.execute(sa.text(
        "SELECT id, agency_client_id, agency_client_key, agency_sandbox FROM shops "
        "ORDER BY created_at, id")).all()
    connections = {False: "default", True: "default-sandbox"}
    needed = {bool(s.agency_sandbox) for s in shops if s.agency_client_id}
    for sandbox in sorted({False} | needed):
        conn.execute(sa.text(
            "INSERT INTO agency_connections (name, kind, endpoint_url, sandbox, created_at) "
            "VALUES (:name, :kind, NULL, :sandbox, :now)"),
            {"name": connections[sandbox], "kind": DEFAULT_KIND, "sandbox": sandbox, "now": now})
    account_of: dict = {}
    for shop in shops:
        if not shop.agency_client_id:
            continue
        key = (shop.agency_client_id, bool(shop.agency_sandbox))
        if key not in account_of:
            name = f"client-{shop.agency_client_id}" + ("-sandbox" if key[1] else "")
            account_of[key] = name
            conn.execute(sa.text(
                "INSERT INTO agency_accounts (name, connection, client_id, client_key, "
                "user_name, created_at) VALUES (:name, :connection, :client_id, :key, NULL, :now)"),
                {"name": name, "connection": connections[key[1]],
                 "client_id": shop.agency_client_id, "key": shop.agency_client_key, "now": now})

    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agency_account', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('agency_reference_prefix', sa.String(length=8),
                                      nullable=True))
    taken: set = set()
    for shop in shops:
        account = account_of.get((shop.agency_client_id, bool(shop.agency_sandbox)))
        conn.execute(sa.text("UPDATE shops SET agency_account = :account, "
                             "agency_reference_prefix = :prefix WHERE id = :id"),
                     {"account": account, "prefix": _prefix(shop.id, taken), "id": shop.id})
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.create_foreign_key(op.f('fk_shops_agency_account_agency_accounts'),
                                    'agency_accounts', ['agency_account'], ['name'])
        batch_op.create_unique_constraint('uq_shops_agency_reference_prefix',
                                          ['agency_reference_prefix'])
        batch_op.drop_column('agency')
        batch_op.drop_column('agency_client_id')
        batch_op.drop_column('agency_client_key')
        batch_op.drop_column('agency_sandbox')

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.alter_column('agency', new_column_name='agency_account',
                              existing_type=sa.String(length=32), type_=sa.String(length=64),
                              nullable=True)
        batch_op.add_column(sa.Column('agency_reference', sa.String(length=80), nullable=True))
    conn.execute(sa.text(
        "UPDATE claims SET agency_account = (SELECT s.agency_account FROM shops s "
        "WHERE s.id = claims.shop_id), agency_reference = shop_claim_id"))
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index('ix_claims_account_file_number',
                              ['agency_account', 'agency_file_number'], unique=False)

    # Applied change keys ("<file number>:<code>:<time>") now belong to an account.
    applied = conn.execute(sa.text(
        "SELECT a.change_key, c.agency_account FROM applied_agency_changes a "
        "LEFT JOIN claims c ON c.agency_file_number = substr(a.change_key, 1, "
        "instr(a.change_key, ':') - 1)") if conn.dialect.name == "sqlite" else sa.text(
        "SELECT a.change_key, c.agency_account FROM applied_agency_changes a "
        "LEFT JOIN claims c ON c.agency_file_number = split_part(a.change_key, ':', 1)")).all()
    with op.batch_alter_table('applied_agency_changes', schema=None) as batch_op:
        batch_op.alter_column('agency', new_column_name='agency_account',
                              existing_type=sa.String(length=32), type_=sa.String(length=64),
                              existing_nullable=False)
    for change_key, account in applied:
        if account is None:  # the gateway never knew that file number: nothing to dedupe
            conn.execute(sa.text("DELETE FROM applied_agency_changes WHERE change_key = :k"),
                         {"k": change_key})
        else:
            conn.execute(sa.text("UPDATE applied_agency_changes SET agency_account = :a "
                                 "WHERE change_key = :k"), {"a": account, "k": change_key})


def downgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agency', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('agency_client_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('agency_client_key', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('agency_sandbox', sa.Boolean(), nullable=True))
    conn.execute(sa.text(
        "UPDATE shops SET agency = 'mediafinanz', "
        "agency_client_id = (SELECT a.client_id FROM agency_accounts a "
        "  WHERE a.name = shops.agency_account), "
        "agency_client_key = (SELECT a.client_key FROM agency_accounts a "
        "  WHERE a.name = shops.agency_account), "
        "agency_sandbox = COALESCE((SELECT c.sandbox FROM agency_accounts a JOIN "
        "  agency_connections c ON c.name = a.connection WHERE a.name = shops.agency_account), "
        "  :false)"), {"false": False})
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.alter_column('agency', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('agency_sandbox', existing_type=sa.Boolean(), nullable=False)
        batch_op.drop_constraint('uq_shops_agency_reference_prefix', type_='unique')
        batch_op.drop_constraint(op.f('fk_shops_agency_account_agency_accounts'),
                                 type_='foreignkey')
        batch_op.drop_column('agency_reference_prefix')
        batch_op.drop_column('agency_account')
    conn.execute(sa.text("UPDATE applied_agency_changes SET agency_account = 'mediafinanz'"))
    with op.batch_alter_table('applied_agency_changes', schema=None) as batch_op:
        batch_op.alter_column('agency_account', new_column_name='agency',
                              existing_type=sa.String(length=64), type_=sa.String(length=32),
                              existing_nullable=False)
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('ix_claims_account_file_number')
        batch_op.drop_column('agency_reference')
    conn.execute(sa.text("UPDATE claims SET agency_account = 'mediafinanz'"))
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.alter_column('agency_account', new_column_name='agency',
                              existing_type=sa.String(length=64), type_=sa.String(length=32),
                              nullable=False)
    op.drop_table('unmatched_agency_changes')
    op.drop_table('agency_accounts')
    op.drop_table('agency_connections')
