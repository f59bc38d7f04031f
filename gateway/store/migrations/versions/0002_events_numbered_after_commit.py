"""events are numbered after commit: claim_events.shop_seq nullable, index of unnumbered

Writers used to take the shop's next sequence number inside their transaction, which
locked the shop row until COMMIT: every write of one shop queued behind the previous
one's disk flush. Events are now stored without a number and numbered, committed ones
only, when the shop reads its changes feed. Existing events keep their numbers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_UNNUMBERED = sa.text("shop_seq IS NULL")


def upgrade() -> None:
    with op.batch_alter_table('claim_events', schema=None) as batch_op:
        batch_op.alter_column('shop_seq', existing_type=sa.BigInteger(), nullable=True)
        batch_op.create_index('ix_claim_events_unnumbered', ['shop_id', 'id'], unique=False,
                              postgresql_where=_UNNUMBERED, sqlite_where=_UNNUMBERED)


def downgrade() -> None:
    # Number what is still unnumbered first, in id order per shop, as a feed read would.
    conn = op.get_bind()
    unnumbered = conn.execute(sa.text(
        "SELECT id, shop_id FROM claim_events WHERE shop_seq IS NULL ORDER BY id")).all()
    last = dict(conn.execute(sa.text("SELECT id, last_event_seq FROM shops")).all())
    for event_id, shop_id in unnumbered:
        last[shop_id] += 1
        conn.execute(sa.text("UPDATE claim_events SET shop_seq = :seq WHERE id = :id"),
                     {"seq": last[shop_id], "id": event_id})
    for shop_id, seq in last.items():
        conn.execute(sa.text("UPDATE shops SET last_event_seq = :seq WHERE id = :id"),
                     {"seq": seq, "id": shop_id})
    with op.batch_alter_table('claim_events', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_events_unnumbered')
        batch_op.alter_column('shop_seq', existing_type=sa.BigInteger(), nullable=False)
