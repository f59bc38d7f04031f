"""consumer credit on claims, the shops' hand-over policy, the day a waiting claim is handed over

- claims.consumer_credit_rate (the effective annual rate in 1/10,000 percent, exact) and
  claims.consumer_credit_contract_date: a claim from a consumer credit contract
  (§ 688 (2) Nr. 1 ZPO); NULL for every claim before.
- claims.handover_ready_on: the day a claim in WAITING_FOR_DEFAULT is handed over.
- shops.handover_policy (IMMEDIATE, what every shop did before, or WHEN_IN_DEFAULT),
  shops.handover_days_after_due (10) and shops.handover_days_after_reminder (5).

The downgrade puts waiting claims back to RECEIVED (their hand-over rows keep their day, so
the older gateway still hands them over then) and forgets the consumer credit data.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('claims') as batch:
        batch.add_column(sa.Column('consumer_credit_rate', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('consumer_credit_contract_date', sa.Date(), nullable=True))
        batch.add_column(sa.Column('handover_ready_on', sa.Date(), nullable=True))
    with op.batch_alter_table('shops') as batch:
        batch.add_column(sa.Column('handover_policy', sa.String(length=20), nullable=False,
                                   server_default='IMMEDIATE'))
        batch.add_column(sa.Column('handover_days_after_due', sa.Integer(), nullable=False,
                                   server_default='10'))
        batch.add_column(sa.Column('handover_days_after_reminder', sa.Integer(),
                                   nullable=False, server_default='5'))


def downgrade() -> None:
    op.execute("UPDATE claims SET state = 'RECEIVED' WHERE state = 'WAITING_FOR_DEFAULT'")
    with op.batch_alter_table('shops') as batch:
        batch.drop_column('handover_days_after_reminder')
        batch.drop_column('handover_days_after_due')
        batch.drop_column('handover_policy')
    with op.batch_alter_table('claims') as batch:
        batch.drop_column('handover_ready_on')
        batch.drop_column('consumer_credit_contract_date')
        batch.drop_column('consumer_credit_rate')
