"""audit log as a hash chain: each event's place, previous hash and own hash, and the head row

Existing events are chained at the upgrade, in the order of their ids.

Revision ID: a17c4a1d9e01
Revises: c3a7e91b5d20
Create Date: 2026-12-20 10:00:00

"""
import sqlalchemy as sa
from alembic import op

from app.core import auditchain

# revision identifiers, used by Alembic.
revision = 'a17c4a1d9e01'
down_revision = 'c3a7e91b5d20'
branch_labels = None
depends_on = None

BATCH = 2000
events = sa.table(
    'audit_events', *(sa.column(name) for name in auditchain.FIELDS if name != 'created_dt'),
    sa.column('created_dt', sa.DateTime()), sa.column('prev_hash'), sa.column('chain_hash'))


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('chain_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_audit_events_seq', ['seq'])
    head_table = op.create_table(
        'audit_chain_head',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    conn = op.get_bind()
    seq, head, after_id = 0, auditchain.GENESIS, 0
    while True:
        rows = conn.execute(sa.select(events).where(events.c.id > after_id)
                            .order_by(events.c.id).limit(BATCH)).mappings().all()
        if not rows:
            break
        links = auditchain.link(seq, head, rows)
        conn.execute(events.update().where(events.c.id == sa.bindparam('b_id'))
                     .values(seq=sa.bindparam('b_seq'), prev_hash=sa.bindparam('b_prev'),
                             chain_hash=sa.bindparam('b_hash')),
                     [{'b_id': row['id'], 'b_seq': s, 'b_prev': p, 'b_hash': h}
                      for row, (s, p, h) in zip(rows, links, strict=True)])
        seq, _, head = links[-1]
        after_id = rows[-1]['id']
    op.bulk_insert(head_table, [{'id': 1, 'seq': seq, 'hash': head}])


def downgrade():
    op.drop_table('audit_chain_head')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint('uq_audit_events_seq', type_='unique')
        batch_op.drop_column('chain_hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
