"""agenda items: whether each is for a vote and when it went out in the notice

A vote may be opened only on an item that was in the notice members received, as an item for a
vote. Items of meetings already announced were in their notice: they take the announcement's time.

Revision ID: d1d236ec2fdc
Revises: 6029a34fcb2d
Create Date: 2026-12-07 13:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd1d236ec2fdc'
down_revision = '6029a34fcb2d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_for_vote', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('noticed_dt', sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE agenda_items SET noticed_dt = (SELECT meetings.announced_dt FROM meetings"
        " WHERE meetings.id = agenda_items.meeting_id)")


def downgrade():
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_column('noticed_dt')
        batch_op.drop_column('is_for_vote')
