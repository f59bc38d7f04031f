"""the accounting console: staff, their shops, sessions and the audit trail

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'staff',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('admin', sa.Boolean(), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('last_login_at', sa.DateTime(), nullable=True),
        sa.Column('removed_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_staff')))
    op.create_table(
        'staff_shops',
        sa.Column('staff_name', sa.String(length=64), nullable=False),
        sa.Column('shop_id', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['staff_name'], ['staff.name'],
                                name=op.f('fk_staff_shops_staff_name_staff')),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'],
                                name=op.f('fk_staff_shops_shop_id_shops')),
        sa.PrimaryKeyConstraint('staff_name', 'shop_id', name=op.f('pk_staff_shops')))
    op.create_table(
        'staff_sessions',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('staff_name', sa.String(length=64), nullable=False),
        sa.Column('csrf_token', sa.String(length=64), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('notice', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['staff_name'], ['staff.name'],
                                name=op.f('fk_staff_sessions_staff_name_staff')),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_staff_sessions')))
    op.create_index(op.f('ix_staff_sessions_staff_name'), 'staff_sessions', ['staff_name'])
    op.create_table(
        'audit_log',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
                  nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(length=128), nullable=True),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.Column('shop_id', sa.String(length=64), nullable=True),
        sa.Column('claim_id', sa.BigInteger(), nullable=True),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')))
    op.create_index('ix_audit_log_actor_id', 'audit_log', ['actor', 'id'])


def downgrade() -> None:
    op.drop_index('ix_audit_log_actor_id', table_name='audit_log')
    op.drop_table('audit_log')
    op.drop_index(op.f('ix_staff_sessions_staff_name'), table_name='staff_sessions')
    op.drop_table('staff_sessions')
    op.drop_table('staff_shops')
    op.drop_table('staff')
