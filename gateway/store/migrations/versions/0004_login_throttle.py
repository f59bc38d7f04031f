"""failed logins per shop id and per client address (the login throttle)

One row per shop id or client address with remembered failures: their count, the last
one, and until when a login of it is not checked (a growing delay, then a lockout). The
facade processes share it, so the throttle holds across processes and machines.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_failures',
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('subject', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', sa.DateTime(), nullable=False),
        sa.Column('blocked_until', sa.DateTime(), nullable=True),
        sa.Column('locked', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'subject', name=op.f('pk_login_failures')))


def downgrade() -> None:
    op.drop_table('login_failures')
