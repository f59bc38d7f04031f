"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('applied_agency_changes',
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('change_key', sa.String(length=200), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('agency', 'change_key', name=op.f('pk_applied_agency_changes'))
    )
    op.create_table('shops',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('agency_client_id', sa.String(length=32), nullable=True),
    sa.Column('agency_client_key', sa.String(length=128), nullable=True),
    sa.Column('agency_sandbox', sa.Boolean(), nullable=False),
    sa.Column('seat', sa.String(length=16), nullable=True),
    sa.Column('catalogue_overrides', sa.JSON(), nullable=False),
    sa.Column('last_event_seq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shops'))
    )
    op.create_table('sync_checkpoints',
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_sync_checkpoints'))
    )
    op.create_table('used_nonces',
    sa.Column('nonce_key', sa.String(length=200), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('nonce_key', name=op.f('pk_used_nonces'))
    )
    with op.batch_alter_table('used_nonces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_nonces_seen_at'), ['seen_at'], unique=False)

    op.create_table('claims',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('shop_claim_id', sa.String(length=64), nullable=False),
    sa.Column('claim_type', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('dunning_fees', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('date_of_origin', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('date_of_last_reminder', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('counter_performance_rendered', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('agency', sa.String(length=32), nullable=False),
    sa.Column('agency_file_number', sa.String(length=32), nullable=True),
    sa.Column('agency_status_code', sa.Integer(), nullable=True),
    sa.Column('agency_status_text', sa.Text(), nullable=True),
    sa.Column('rejection_reasons', sa.JSON(), nullable=False),
    sa.Column('total_debts', sa.BigInteger(), nullable=False),
    sa.Column('paid', sa.BigInteger(), nullable=False),
    sa.Column('outstanding', sa.BigInteger(), nullable=False),
    sa.Column('current_payout', sa.BigInteger(), nullable=False),
    sa.Column('sum_payout', sa.BigInteger(), nullable=False),
    sa.Column('payouts', sa.JSON(), nullable=False),
    sa.Column('dunning_order_issued_on', sa.Date(), nullable=True),
    sa.Column('dunning_order_served_on', sa.Date(), nullable=True),
    sa.Column('enforcement_order_issued_on', sa.Date(), nullable=True),
    sa.Column('procedure_stalled_on', sa.Date(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_claims_shop_id_shops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claims')),
    sa.UniqueConstraint('shop_id', 'shop_claim_id', name='uq_claims_shop_claim')
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claims_agency_file_number'), ['agency_file_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_claims_state'), ['state'], unique=False)

    op.create_table('claim_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('claim_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('shop_seq', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_kind', sa.String(length=10), nullable=False),
    sa.Column('actor_id', sa.String(length=128), nullable=False),
    sa.Column('what', sa.String(length=64), nullable=False),
    sa.Column('state_before', sa.String(length=32), nullable=True),
    sa.Column('state_after', sa.String(length=32), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_claim_events_claim_id_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_events')),
    sa.UniqueConstraint('shop_id', 'shop_seq', name='uq_claim_events_shop_seq')
    )
    with op.batch_alter_table('claim_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_events_claim_id'), ['claim_id'], unique=False)

    op.create_table('court_dunning_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('claim_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('requested_by', sa.String(length=128), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('instruction', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('preflight', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_court_dunning_requests_claim_id_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_court_dunning_requests'))
    )
    with op.batch_alter_table('court_dunning_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_court_dunning_requests_claim_id'), ['claim_id'], unique=False)

    op.create_table('debtors',
    sa.Column('claim_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('salutation', sa.String(length=10), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('first_name', sa.String(length=100), nullable=True),
    sa.Column('last_name', sa.String(length=100), nullable=True),
    sa.Column('company', sa.String(length=100), nullable=True),
    sa.Column('legal_form', sa.String(length=50), nullable=True),
    sa.Column('care_of', sa.String(length=100), nullable=True),
    sa.Column('street', sa.String(length=100), nullable=True),
    sa.Column('house_number', sa.String(length=20), nullable=True),
    sa.Column('postcode', sa.String(length=10), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('mobile', sa.String(length=40), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('anonymised_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_debtors_claim_id_claims')),
    sa.PrimaryKeyConstraint('claim_id', name=op.f('pk_debtors'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('claim_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('available_at', sa.DateTime(), nullable=False),
    sa.Column('leased_until', sa.DateTime(), nullable=True),
    sa.Column('leased_by', sa.String(length=64), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_outbox_claim_id_claims')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_claim_order', ['claim_id', 'id'], unique=False)
        batch_op.create_index('ix_outbox_state_available', ['state', 'available_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_state_available')
        batch_op.drop_index('ix_outbox_claim_order')

    op.drop_table('outbox')
    op.drop_table('debtors')
    with op.batch_alter_table('court_dunning_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_court_dunning_requests_claim_id'))

    op.drop_table('court_dunning_requests')
    with op.batch_alter_table('claim_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_events_claim_id'))

    op.drop_table('claim_events')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claims_state'))
        batch_op.drop_index(batch_op.f('ix_claims_agency_file_number'))

    op.drop_table('claims')
    with op.batch_alter_table('used_nonces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_nonces_seen_at'))

    op.drop_table('used_nonces')
    op.drop_table('sync_checkpoints')
    op.drop_table('shops')
    op.drop_table('applied_agency_changes')
