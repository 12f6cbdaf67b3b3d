"""meeting room version: raised with every fact told to the live room, so a screen sees a gap

Existing rows get 0.

Revision ID: 6029a34fcb2d
Revises: b855a0fb8f98
Create Date: 2026-12-07 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6029a34fcb2d'
down_revision = 'b855a0fb8f98'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('room_version', sa.Integer(), server_default=sa.text('0'),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('room_version')
